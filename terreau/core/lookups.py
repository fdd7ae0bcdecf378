"""`__in` on integer fields ignores values the database cannot hold, as Django already does for `exact`, `gt`...

Without it a forged form post (a ModelMultipleChoiceField given 99999999999999999999) crashes on SQLite with
OverflowError and on PostgreSQL with "bigint out of range": a 500 instead of "Sélectionnez un choix valide".
"""

from __future__ import annotations

from django.db.models import IntegerField
from django.db.models.lookups import In


@IntegerField.register_lookup
class IntegerFieldIn(In):
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
            self.rhs = [
                v
                for v in self.rhs
                if not isinstance(v, int) or ((low is None or v >= low) and (high is None or v <= high))
            ]
        return super().process_rhs(compiler, connection)
