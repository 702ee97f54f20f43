"""The curriculum map: stages and lessons, in order. ``aipath list`` and the README are built from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ._paths import REPO_SLUG


@dataclass(frozen=True)
class Lesson:
    """One lesson: ``notebooks/<stage>/<slug>.ipynb`` with its exercise at the same relative path."""

    stage: str
    slug: str
    title: str

    @property
    def id(self) -> str:
        """``"<stage>/<slug>"``, the key used by checks, grading and progress."""
        return f"{self.stage}/{self.slug}"

    def path(self, kind: str = "notebooks") -> Path:
        """Relative path of the lesson (``notebooks``), its exercise (``exercises``) or solution."""
        return Path(kind) / self.stage / f"{self.slug}.ipynb"


@dataclass(frozen=True)
class Stage:
    slug: str
    title: str
    lessons: tuple[Lesson, ...]


def _stage(slug: str, title: str, lessons: list[tuple[str, str]]) -> Stage:
    return Stage(slug, title, tuple(Lesson(slug, s, t) for s, t in lessons))


STAGES: tuple[Stage, ...] = (
    _stage("00_start", "Start here", [
        ("01_welcome", "Welcome: how the course works, and a first model"),
    ]),
    _stage("01_python_and_data", "Python and data", [
        ("01_python_for_ml", "Python for ML"),
        ("02_numpy", "NumPy: arrays, broadcasting, vectorisation"),
        ("03_pandas_cleaning", "pandas: cleaning real data"),
        ("04_visualisation_eda", "Visualisation and exploratory data analysis"),
        ("05_sql_for_ml", "SQL for ML"),
        ("06_linear_algebra", "Linear algebra"),
        ("07_calculus_optimisation", "Calculus and optimisation"),
        ("08_probability_statistics", "Probability and statistics"),
    ]),
    _stage("02_classic_ml", "Classic machine learning", [
        ("01_ml_workflow_regression", "The ML workflow, with regression"),
        ("02_classification", "Classification"),
        ("03_model_evaluation", "Model evaluation"),
        ("04_feature_engineering_pipelines", "Feature engineering and pipelines"),
        ("05_ensembles_boosting", "Ensembles and boosting"),
        ("06_hyperparameter_tuning", "Hyperparameter tuning"),
        ("07_unsupervised", "Unsupervised learning"),
        ("08_imbalanced_fraud_detection", "Imbalanced data: fraud detection"),
    ]),
    _stage("03_deep_learning", "Deep learning", [
        ("01_neural_net_from_scratch", "A neural network from scratch"),
        ("02_pytorch_tensors_autograd", "PyTorch tensors and autograd"),
        ("03_pytorch_training_loop", "The PyTorch training loop"),
        ("04_optimisation_regularisation", "Optimisation and regularisation"),
        ("05_cnns", "Convolutional networks"),
        ("06_sequence_models", "Sequence models"),
        ("07_attention_transformers", "Attention and transformers"),
        ("08_tensorflow_keras", "TensorFlow and Keras"),
        ("09_pretrained_models_embeddings", "Pretrained models and embeddings"),
    ]),
    _stage("04_mnist_project", "Project: MNIST end to end", [
        ("01_data_and_baselines", "Data and baselines"),
        ("02_cnn_pytorch", "A CNN in PyTorch"),
        ("03_cnn_keras", "A CNN in Keras"),
        ("04_error_analysis_model_card", "Error analysis and a model card"),
        ("05_export_and_inference", "Export and inference"),
    ]),
    _stage("05_mlops", "MLOps", [
        ("01_experiment_tracking", "Experiment tracking"),
        ("02_model_registry_versioning", "Model registry and versioning"),
        ("03_serving_api", "Serving a model as an API"),
        ("04_testing_ml_systems", "Testing ML systems"),
        ("05_pipelines_ci_cd", "Pipelines and CI/CD"),
        ("06_monitoring_drift", "Monitoring and drift"),
        ("07_ab_testing_rollout", "A/B testing and rollout"),
        ("08_scaling_out", "Scaling out"),
    ]),
    _stage("06_applied_ai", "Applied AI", [
        ("01_nlp_text_classification", "NLP: text classification"),
        ("02_vision_transfer_learning", "Vision: transfer learning"),
        ("03_embeddings_semantic_search", "Embeddings and semantic search"),
        ("04_rag", "Retrieval-augmented generation"),
        ("05_llm_engineering", "LLM engineering"),
        ("06_llm_fine_tuning_lora", "Fine-tuning an LLM with LoRA"),
        ("07_recommender_system", "A recommender system"),
        ("08_ai_implementation_plan", "An AI implementation plan"),
        ("09_capstone_support_bot", "Capstone: a support bot"),
    ]),
)


def lessons() -> list[Lesson]:
    """Every lesson of the course, in order."""
    return [lesson for stage in STAGES for lesson in stage.lessons]


def find(lesson_id: str) -> Lesson | None:
    """The lesson with id ``"<stage>/<slug>"``, or None."""
    return next((lesson for lesson in lessons() if lesson.id == lesson_id), None)


def colab_url(relative: Path | str) -> str:
    """The "Open in Colab" address of a notebook, given its path relative to the repository root."""
    return f"https://colab.research.google.com/github/{REPO_SLUG}/blob/main/{Path(relative).as_posix()}"
