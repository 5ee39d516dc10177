"""Column helpers shared by every domain's models."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, MetaData, String, Table, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlmodel import SQLModel

from server import clock

# Constraint names that are the same on SQLite and PostgreSQL, so migrations can refer to them.
# Set here, the module every table module imports, before any table is declared.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
metadata = SQLModel.metadata


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table. A statement of its columns alone (`table_of(Project).c.id`) runs as
    Core, not through the ORM: no ORM compile state, no ORM result set-up, about half SQLAlchemy's cost
    per statement, for the busiest reads and writes. The session still autoflushes before it."""
    return model.__table__  # type: ignore[attr-defined]


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and out, on SQLite (which stores naive text) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(clock.UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=clock.UTC)
        return value.astimezone(clock.UTC)


class DecimalText(TypeDecorator[Decimal]):
    """Exact decimals on both databases (SQLite has no decimal type and would round-trip floats)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)
