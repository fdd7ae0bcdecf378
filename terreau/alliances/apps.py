from django.apps import AppConfig


class AlliancesConfig(AppConfig):
    name = "terreau.alliances"
    label = "alliances"
    verbose_name = "Alliances"

    def ready(self) -> None:
        # The lineage (diagnosis → key issues → groups → charter) on the page of a program a charter launched.
        from terreau.alliances.lineage import program_panel
        from terreau.programs.hooks import register_program_panel

        register_program_panel(program_panel)
