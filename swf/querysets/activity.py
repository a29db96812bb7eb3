"""The queryset of activity types."""

from __future__ import annotations

from swf.models.activity import ActivityType
from swf.querysets.base import _TypeQuerySet

__all__ = ["ActivityTypeQuerySet"]


class ActivityTypeQuerySet(_TypeQuerySet[ActivityType]):
    """The activity types of one domain: ``ActivityTypeQuerySet(domain).all()``.

    Listing sends ``ListActivityTypes`` (registered types unless filtered on
    ``status``); :meth:`get` sends ``DescribeActivityType``.

    :param domain: the :class:`~swf.models.Domain` (a domain name is accepted).
    :param client: the boto3 SWF client; ``None`` uses the domain's, else the shared default client.
    :param page_size: ``maximumPageSize`` of each listing call (1 to 1000).
    """

    _model = ActivityType
    _kind = "Activity"
