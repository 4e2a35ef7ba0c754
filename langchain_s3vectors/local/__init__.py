"""An embedded, persistent Amazon S3 Vectors with the boto3 client's API.

The public names of the embedded store, for users and for the layers above it (the
file service and the command line); everything else in ``langchain_s3vectors.local``
is its own business:

* :class:`LocalS3VectorsClient`: the client.
* :data:`DB_FILENAME`: the database file inside a store's folder (a folder holding it
  is a store).
* :func:`payload_too_large_message`: the error message of a request body over the
  service's payload limit (the HTTP server refuses such a body before parsing it).
* :func:`damaged_message`: how to tell a user that a store is damaged, and the fix.

Example:
    >>> from langchain_s3vectors.local import DB_FILENAME, LocalS3VectorsClient
    >>> LocalS3VectorsClient().check_integrity(), DB_FILENAME
    ([], 's3vectors.sqlite3')
"""

from langchain_s3vectors.local.client import LocalS3VectorsClient
from langchain_s3vectors.local.fulltext import damaged_message
from langchain_s3vectors.local.params import payload_too_large_message
from langchain_s3vectors.local.storage import DB_FILENAME

__all__ = ["DB_FILENAME", "LocalS3VectorsClient", "damaged_message", "payload_too_large_message"]
