from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "terreau.evaluation"
    label = "evaluation"
    verbose_name = "Évaluation"
