from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "terreau.contributions"
    label = "contributions"
    verbose_name = "Contributions"

    def ready(self) -> None:
        # The program's contributions (by partner, by kind, contributions in kind) on the program's page.
        from terreau.contributions.report_views import program_panel
        from terreau.programs.hooks import register_program_panel

        register_program_panel(program_panel)
