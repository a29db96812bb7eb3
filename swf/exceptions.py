"""The one error tree of the ``swf`` package.

Every error the toolkit raises on purpose derives from :class:`SWFError`.
Faults answered by the SWF service (botocore ``ClientError``) are translated
by :func:`translate` -- the only place that reads SWF fault codes -- and keep
the AWS ``error_code``, ``message`` and the raw ``response``::

    SWFError
    ├── DoesNotExistError (LookupError)         UnknownResourceFault
    ├── AlreadyExistsError
    │   ├── DomainAlreadyExistsError            DomainAlreadyExistsFault
    │   ├── TypeAlreadyExistsError              TypeAlreadyExistsFault
    │   └── WorkflowExecutionAlreadyStartedError
    │                                           WorkflowExecutionAlreadyStartedFault
    ├── DeprecatedError
    │   ├── DomainDeprecatedError               DomainDeprecatedFault
    │   └── TypeDeprecatedError                 TypeDeprecatedFault
    ├── DefaultUndefinedError                   DefaultUndefinedFault
    ├── LimitExceededError                      LimitExceededFault
    ├── TooManyTagsError                        TooManyTagsFault
    ├── OperationNotPermittedError (PermissionError)
    │                                           OperationNotPermittedFault
    ├── ThrottlingError                         ThrottlingException (and kin)
    ├── ValidationError (ValueError)            ValidationException, and input
    │   │                                       refused before any call is made
    │   ├── PayloadTooLarge                     a data field over SWF's limit even
    │   │                                       after the payload chain
    │   └── PayloadError                        a stored payload that cannot be read
    │                                           (wrong key, missing object, bad digest)
    ├── CredentialsError                        no or unreadable credentials
    ├── ConnectionError                         endpoint unreachable, timeouts
    ├── ResponseError                           any other fault code
    └── (WorkflowError)                         the workflow layer's branch, drawn in
                                                swf_gevent.workflow.errors
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "AlreadyExistsError",
    "ConnectionError",
    "CredentialsError",
    "DefaultUndefinedError",
    "DeprecatedError",
    "DoesNotExistError",
    "DomainAlreadyExistsError",
    "DomainDeprecatedError",
    "LimitExceededError",
    "OperationNotPermittedError",
    "PayloadError",
    "PayloadTooLarge",
    "ResponseError",
    "SWFError",
    "ThrottlingError",
    "TooManyTagsError",
    "TypeAlreadyExistsError",
    "TypeDeprecatedError",
    "ValidationError",
    "WorkflowExecutionAlreadyStartedError",
    "translate",
]


class SWFError(Exception):
    """Base of every error raised by the toolkit.

    :param message: human readable text (never holds secrets or task tokens).
    :param error_code: the AWS error code (``"UnknownResourceFault"``...) when
        the error came from the service, else ``None``.
    :param response: botocore's parsed error response, when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        error_code: str | None = None,
        response: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.response = response

    def __str__(self) -> str:
        if self.error_code:
            return f"{self.error_code}: {self.message}"
        return self.message


class DoesNotExistError(SWFError, LookupError):
    """The named domain, type, execution or task is unknown to SWF (or closed)."""


class AlreadyExistsError(SWFError):
    """A registration or start collided with something that already exists."""


class DomainAlreadyExistsError(AlreadyExistsError):
    """``RegisterDomain`` for a name already registered (even deprecated)."""


class TypeAlreadyExistsError(AlreadyExistsError):
    """``Register*Type`` for a name and version already registered."""


class WorkflowExecutionAlreadyStartedError(AlreadyExistsError):
    """An open execution with the same workflow id already runs in the domain.

    :meth:`WorkflowType.start_execution <swf.models.WorkflowType.start_execution>`
    looks the open execution up and gives its run id here and in the message.

    :param workflow_id: the workflow id that is taken, when known.
    :param run_id: the run id of the execution already open, when known
        (``None`` when it closed before it could be looked up, or the
        look-up failed).
    """

    def __init__(
        self,
        message: str,
        *,
        error_code: str | None = None,
        response: Mapping[str, Any] | None = None,
        workflow_id: str | None = None,
        run_id: str | None = None,
    ) -> None:
        super().__init__(message, error_code=error_code, response=response)
        self.workflow_id = workflow_id
        self.run_id = run_id


class DeprecatedError(SWFError):
    """The domain or type is deprecated and cannot be used for new work."""


class DomainDeprecatedError(DeprecatedError):
    """SWF answered ``DomainDeprecatedFault``."""


class TypeDeprecatedError(DeprecatedError):
    """SWF answered ``TypeDeprecatedFault``."""


class DefaultUndefinedError(SWFError):
    """A required value was neither given nor registered as the type's default."""


class LimitExceededError(SWFError):
    """An SWF limit (open executions, registered types...) was reached."""


class TooManyTagsError(SWFError):
    """A resource would carry more tags than SWF allows."""


class OperationNotPermittedError(SWFError, PermissionError):
    """The caller may not perform this operation (IAM, or the wrong state)."""


class ThrottlingError(SWFError):
    """SWF throttled the call; retry later with backoff."""


class ValidationError(SWFError, ValueError):
    """Input refused: by SWF (``ValidationException``) or before any call."""


class PayloadTooLarge(ValidationError):
    """A data field too long for SWF even after the payload chain, refused before any call.

    :param field: the field, as ``"<operation or decision>.<field>"`` (``"RespondActivityTaskCompleted.result"``).
    :param size: its length in characters after the chain.
    :param limit: SWF's limit for the field, in characters.
    """

    def __init__(self, field: str, size: int, limit: int) -> None:
        super().__init__(f"{field} is {size} characters after the payload chain; SWF takes at most {limit}")
        self.field = field
        self.size = size
        self.limit = limit


class PayloadError(ValidationError):
    """A payload that cannot be decoded: wrong key, missing stored object, digest mismatch; names the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class CredentialsError(SWFError):
    """No usable AWS credentials, or a credentials file that cannot be read."""


class ConnectionError(SWFError):  # noqa: A001 - the SWF flavour of the builtin
    """The endpoint could not be reached, or did not answer in time."""


class ResponseError(SWFError):
    """Any other fault code answered by SWF."""


_BY_CODE: dict[str, type[SWFError]] = {
    "UnknownResourceFault": DoesNotExistError,
    "DomainAlreadyExistsFault": DomainAlreadyExistsError,
    "TypeAlreadyExistsFault": TypeAlreadyExistsError,
    "WorkflowExecutionAlreadyStartedFault": WorkflowExecutionAlreadyStartedError,
    "DomainDeprecatedFault": DomainDeprecatedError,
    "TypeDeprecatedFault": TypeDeprecatedError,
    "DefaultUndefinedFault": DefaultUndefinedError,
    "LimitExceededFault": LimitExceededError,
    "TooManyTagsFault": TooManyTagsError,
    "OperationNotPermittedFault": OperationNotPermittedError,
    "ValidationException": ValidationError,
    "ThrottlingException": ThrottlingError,
    "Throttling": ThrottlingError,
    "ThrottledException": ThrottlingError,
    "RequestLimitExceeded": ThrottlingError,
    "TooManyRequestsException": ThrottlingError,
}


def translate(err: BaseException) -> SWFError:
    """Translate a botocore exception into the matching :class:`SWFError`.

    The caller raises the result ``from err`` so the original stays chained.

    :param err: a botocore ``ClientError`` (translated by its AWS error code),
        ``ParamValidationError`` (:class:`ValidationError`), a connection or
        read-timeout error (:class:`ConnectionError`), ``NoCredentialsError``
        (:class:`CredentialsError`); anything else becomes
        :class:`ResponseError`.
    :returns: the translated error, not raised.
    """
    from botocore import exceptions as bexc

    if isinstance(err, SWFError):
        return err
    if isinstance(err, bexc.ClientError):
        response: Mapping[str, Any] = err.response or {}
        error = response.get("Error", {})
        code = str(error.get("Code", "") or "")
        # botocore drops the JSON protocol's namespace prefix already, but a
        # raw "__type" such as "com.amazonaws.swf.base.model#Fault" may remain.
        code = code.rsplit("#", 1)[-1]
        message = str(error.get("Message", "") or error.get("message", "") or code)
        cls = _BY_CODE.get(code, ResponseError)
        return cls(message, error_code=code or None, response=response)
    if isinstance(err, bexc.ParamValidationError):
        return ValidationError(str(err))
    if isinstance(err, bexc.NoCredentialsError | bexc.PartialCredentialsError):
        return CredentialsError(str(err))
    if isinstance(
        err,
        bexc.EndpointConnectionError
        | bexc.ConnectionClosedError
        | bexc.ReadTimeoutError
        | bexc.ConnectTimeoutError
        | bexc.HTTPClientError,
    ):
        return ConnectionError(str(err))
    return ResponseError(f"{type(err).__name__}: {err}")
