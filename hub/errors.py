"""The hub's error tree.

Every error the hub raises on purpose derives from :class:`HubError` and carries an
``incident_code``: the stable name an Incident is filed under when the error reaches a job
or an entry point. Messages are written for an operator: what is wrong and what to do.
"""

from __future__ import annotations


class HubError(Exception):
    """Root of every error the hub raises on purpose."""

    incident_code = "hub.error"


class ConfigError(HubError):
    """A configuration file is missing or wrong; the message names the file and key."""

    incident_code = "config.invalid"

    def __init__(self, path: str, where: str, problem: str):
        self.path, self.where, self.problem = str(path), where, problem
        location = f"{self.path}: {where}" if where else self.path
        super().__init__(f"{location}: {problem}")


def each_problem(error: ConfigError) -> list[ConfigError]:
    """The single problems ``error`` stands for: each one it lists (``problems``), or itself."""
    return list(getattr(error, "problems", None) or [error])


def all_problems(kind: type[ConfigError], path, problems: list[ConfigError]) -> ConfigError:
    """One error refusing a file for every one of ``problems``: the problem itself when there
    is one, else a ``kind`` listing each (in its message, and in ``problems``)."""
    if len(problems) == 1:
        return problems[0]
    listed = "\n".join(f"  - {p.where}: {p.problem}" if p.where else f"  - {p.problem}"
                       for p in problems)
    error = kind(path, "", f"{len(problems)} problems:\n{listed}")
    error.problems = list(problems)
    return error


class PartnerConfigError(ConfigError):
    """A partner file under partners/ is wrong."""

    incident_code = "partner.config_invalid"


class MappingError(ConfigError):
    """A mapping file under mappings/ is wrong."""

    incident_code = "mapping.invalid"


class CatalogError(ConfigError):
    """The supplier catalog is wrong."""

    incident_code = "catalog.invalid"


class OrderInputError(HubError):
    """An incoming order is not a valid canonical order; ``problems`` lists each field error."""

    incident_code = "intake.invalid_order"

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class UnknownChannelError(HubError):
    """An order names a sales channel that is not configured in edihub.toml."""

    incident_code = "intake.unknown_channel"


class DuplicateOrderError(HubError):
    """The same (channel, channel_order_id) arrived again with different content."""

    incident_code = "intake.conflicting_duplicate"

    def __init__(self, channel: str, channel_order_id: str, differences: list[str]):
        self.channel, self.channel_order_id, self.differences = channel, channel_order_id, differences
        super().__init__(
            f"order {channel}/{channel_order_id} was already received with different content "
            f"({', '.join(differences)}); send a new channel_order_id for a new order"
        )


class DocumentError(HubError):
    """A business document cannot be built from the data we have."""

    incident_code = "document.invalid"


class IllegalTransitionError(HubError):
    """A state change that the transition table does not allow."""

    incident_code = "state.illegal_transition"

    def __init__(self, kind: str, ref: str, current: str, wanted: str):
        self.kind, self.ref, self.current, self.wanted = kind, ref, current, wanted
        super().__init__(f"{kind} {ref} cannot go from '{current}' to '{wanted}'")


class NotFoundError(HubError):
    """Something looked up by id does not exist."""

    incident_code = "hub.not_found"


class DeliveryError(HubError):
    """A document could not be delivered; ``transient`` says whether retrying may help."""

    def __init__(self, message: str, transient: bool, code: str, retry_after: float | None = None):
        self.transient, self.incident_code, self.retry_after = transient, code, retry_after
        super().__init__(message)


class DeliveryWithdrawnError(DeliveryError):
    """A delivery was called off just before publishing: the worker no longer owned it."""

    def __init__(self, message: str):
        super().__init__(message, True, "delivery.withdrawn")
