"""Every Amazon S3 Vectors service limit, as a named constant.

The figures come from the S3 User Guide's "Limitations and restrictions" page for
S3 Vectors and from botocore's ``s3vectors`` service model. Nothing else in the
package spells these numbers out: import them from here.

Example:
    >>> from langchain_s3vectors import limits
    >>> limits.MAX_TOP_K
    100
"""

from __future__ import annotations

#: Length of a vector bucket name (characters).
BUCKET_NAME_MIN_LENGTH = 3
BUCKET_NAME_MAX_LENGTH = 63
#: Length of a vector index name (characters).
INDEX_NAME_MIN_LENGTH = 3
INDEX_NAME_MAX_LENGTH = 63
#: Vector bucket and index names: lowercase letters, digits, hyphens and dots,
#: starting and ending with a letter or a digit.
NAME_PATTERN = r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$"

#: Length of a vector key (characters).
KEY_MIN_LENGTH = 1
KEY_MAX_LENGTH = 1024

#: Vector dimension.
MIN_DIMENSION = 1
MAX_DIMENSION = 4096

#: Supported data types and distance metrics.
DATA_TYPES = ("float32",)
DISTANCE_METRICS = ("cosine", "euclidean")

#: Metadata: total and filterable size per vector (UTF-8 JSON bytes), keys per vector.
MAX_METADATA_BYTES = 40 * 1024
MAX_FILTERABLE_METADATA_BYTES = 2 * 1024
MAX_METADATA_KEYS = 50
#: Metadata key length (characters), as in botocore's ``MetadataKey`` shape.
METADATA_KEY_MAX_LENGTH = 63
#: Non-filterable metadata keys per index.
MAX_NON_FILTERABLE_KEYS = 10
#: Full-text searchable metadata keys per index.
MAX_TEXT_SEARCH_KEYS = 10
#: Languages the full-text analyser knows.
TEXT_SEARCH_LANGUAGES = ("en", "fr", "es", "pt", "it", "de", "nl", "zh", "ja", "ko")

#: Vectors per request.
MAX_PUT_VECTORS = 500
MAX_GET_VECTORS = 100
MAX_DELETE_VECTORS = 500

#: QueryVectors.
MAX_TOP_K = 100
MAX_QUERY_TEXTS = 10
QUERY_TEXT_MAX_LENGTH = 1024

#: ListVectors paging and segments.
MAX_LIST_VECTORS_RESULTS = 1000
MAX_LIST_SEGMENTS = 16

#: ListVectorBuckets / ListIndexes page size.
MAX_LIST_RESOURCES_RESULTS = 500

#: Request payload (bytes).
MAX_REQUEST_PAYLOAD_BYTES = 20 * 1024 * 1024

#: Write rate per index.
MAX_WRITE_REQUESTS_PER_SECOND = 1000
MAX_WRITE_VECTORS_PER_SECOND = 2500

#: Index modes.
INDEX_MODES = ("CLASSIC", "ENHANCED")
DEFAULT_INDEX_MODE = "ENHANCED"

#: Reciprocal Rank Fusion constant used to fuse vector and text rankings.
RRF_K = 60
