from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "terreau.evaluation"
    label = "evaluation"
    verbose_name = "Évaluation"

    def ready(self) -> None:
        # The program's evaluations (or, for its sites' teams, the assisted entry) on the program's page.
        from terreau.evaluation.views_framework import program_panel
        from terreau.programs.hooks import register_program_panel

        register_program_panel(program_panel)

        # A participant's evaluation answers are exported, erased and anonymised with the participant.
        from terreau.activities.hooks import register_participant_data
        from terreau.evaluation.participant_data import PARTICIPANT_DATA

        register_participant_data(PARTICIPANT_DATA)
