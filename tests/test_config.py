"""Settings refused at start-up say which setting is wrong, never its value: URLs carry passwords."""

import pytest
from pydantic import ValidationError

from server.config import Settings


def test_a_refused_smtp_url_is_reported_without_its_password():
    with pytest.raises(ValidationError) as refused:
        Settings(smtp_url="http://pantau:rahasia-sekali@mail.bukitintan.go.id")
    said = str(refused.value)
    assert "smtp_url" in said and "smtps://host:465" in said
    assert "rahasia-sekali" not in said
