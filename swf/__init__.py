"""simple-workflow's synchronous layer over Amazon SWF (boto3)."""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
