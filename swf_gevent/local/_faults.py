"""The fault the local endpoint answers, in AWS's JSON 1.0 error shape."""

from __future__ import annotations


class Fault(Exception):
    """An SWF fault: answered as HTTP ``status`` with ``{"__type", "message"}``.

    :param code: the AWS error code, ``"UnknownResourceFault"``.
    :param message: the text SWF would give.
    :param status: the HTTP status; SWF answers its faults with 400.
    """

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict[str, str]:
        """The JSON body: ``{"__type": "com.amazonaws.swf.base.model#<code>", "message": ...}``."""
        return {"__type": f"com.amazonaws.swf.base.model#{self.code}", "message": self.message}
