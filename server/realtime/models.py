"""The event log that boards replay from, and the per-board counters that hand out sequence numbers."""

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from server.models_base import UTCDateTime


class BoardCounter(SQLModel, table=True):
    """Incremented in the same transaction as the change: the row lock makes writers of one board
    commit in sequence order, so seq n+1 can never become visible before seq n."""

    __tablename__ = "board_counter"

    board: str = Field(primary_key=True, max_length=40)
    seq: int = 0


class BoardEvent(SQLModel, table=True):
    __tablename__ = "board_event"

    board: str = Field(primary_key=True, max_length=40)
    seq: int = Field(primary_key=True)
    type: str = Field(max_length=40)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    # The exact JSON text sent to clients, serialised once when the event was recorded.
    message: str = Field(sa_column=Column(Text, nullable=False))
