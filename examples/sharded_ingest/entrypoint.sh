#!/bin/sh
# One shard of a sharded ingest, as an AWS Batch array child runs it.
#
# AWS Batch gives every child of an array job of size N its own
# AWS_BATCH_JOB_ARRAY_INDEX (0 .. N-1); SHARDS must be set to the same N (in the job
# definition's environment or the submit-job container overrides). Every child runs
# the same command over the same paths; each ingests only its own share of the
# sources, prunes only within it and writes at 1/N of the index's write cap.
#
# Environment:
#   AWS_BATCH_JOB_ARRAY_INDEX  this shard (set by AWS Batch; 0 for a single job)
#   SHARDS                     the array size N
#   INGEST_ROOT                sources are named relative to this folder (same for all)
#   S3VECTORS_RAG              the command to run (default: s3vectors-rag)
#   plus the usual settings: S3_VECTOR_BUCKET_NAME, S3_VECTOR_INDEX_NAME, AWS_REGION, ...
# Arguments: the files and folders to ingest (the same for every shard).
set -eu
shard="${AWS_BATCH_JOB_ARRAY_INDEX:-0}/${SHARDS:-1}"
exec ${S3VECTORS_RAG:-s3vectors-rag} ingest --json --prune --shard "$shard" \
    --root "${INGEST_ROOT:-.}" "$@"
