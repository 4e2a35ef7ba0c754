// Drive an S3 Vectors endpoint with the AWS SDK for JavaScript v3 and report what it saw.
//
// Usage: node exercise.mjs http://127.0.0.1:PORT
// (credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, default "test")
//
// Every command and paginator of @aws-sdk/client-s3vectors runs once, plus the error
// cases; the script prints one JSON object of observations on stdout and leaves the
// judging to the Python test that runs it (tests/integration_tests/test_js_sdk.py).
import {
  CreateIndexCommand,
  CreateVectorBucketCommand,
  DeleteIndexCommand,
  DeleteVectorBucketCommand,
  DeleteVectorBucketPolicyCommand,
  DeleteVectorsCommand,
  GetIndexCommand,
  GetVectorBucketCommand,
  GetVectorBucketPolicyCommand,
  GetVectorsCommand,
  ListIndexesCommand,
  ListTagsForResourceCommand,
  ListVectorBucketsCommand,
  ListVectorsCommand,
  PutVectorBucketPolicyCommand,
  PutVectorsCommand,
  QueryVectorsCommand,
  S3VectorsClient,
  TagResourceCommand,
  UntagResourceCommand,
  paginateListIndexes,
  paginateListVectorBuckets,
  paginateListVectors,
  paginateQueryVectors,
} from "@aws-sdk/client-s3vectors";

const endpoint = process.argv[2];
const client = new S3VectorsClient({
  endpoint,
  region: "us-east-1",
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "test",
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "test",
  },
  maxAttempts: 1,
});
const send = (command) => client.send(command);
const out = { commands: [], paginators: {}, errors: {} };

async function paged(paginator) {
  const sizes = [];
  const keys = [];
  for await (const page of paginator) {
    const items = page.vectors ?? page.indexes ?? page.vectorBuckets ?? [];
    sizes.push(items.length);
    keys.push(...items.map((i) => i.key ?? i.indexName ?? i.vectorBucketName));
  }
  return { sizes, keys };
}

async function failure(name, command) {
  try {
    await send(command);
    out.errors[name] = { name: null };
  } catch (error) {
    out.errors[name] = {
      name: error.name,
      status: error.$metadata?.httpStatusCode ?? null,
      message: error.message,
      fieldList: error.fieldList ?? null,
    };
  }
}

function record(name, value) {
  out.commands.push(name);
  return value;
}

const bucket = "js-bucket";
const index = "js-index";
const ids = { vectorBucketName: bucket, indexName: index };

const created = record(
  "CreateVectorBucket",
  await send(new CreateVectorBucketCommand({ vectorBucketName: bucket, tags: { team: "js" } })),
);
out.bucketArn = created.vectorBucketArn;
for (const extra of ["js-extra-1", "js-extra-2"]) {
  await send(new CreateVectorBucketCommand({ vectorBucketName: extra }));
}
const got = record("GetVectorBucket", await send(new GetVectorBucketCommand({ vectorBucketName: bucket })));
out.bucketCreationTimeIsDate = got.vectorBucket.creationTime instanceof Date;
const buckets = record("ListVectorBuckets", await send(new ListVectorBucketsCommand({ prefix: "js-" })));
out.bucketNames = buckets.vectorBuckets.map((b) => b.vectorBucketName);
out.paginators.ListVectorBuckets = await paged(
  paginateListVectorBuckets({ client, pageSize: 2 }, { prefix: "js-" }),
);

const policy = JSON.stringify({ Version: "2012-10-17", Statement: [] });
record("PutVectorBucketPolicy", await send(new PutVectorBucketPolicyCommand({ vectorBucketName: bucket, policy })));
const gotPolicy = record(
  "GetVectorBucketPolicy",
  await send(new GetVectorBucketPolicyCommand({ vectorBucketName: bucket })),
);
out.policyRoundTrip = gotPolicy.policy === policy;
record("DeleteVectorBucketPolicy", await send(new DeleteVectorBucketPolicyCommand({ vectorBucketName: bucket })));

const madeIndex = record(
  "CreateIndex",
  await send(
    new CreateIndexCommand({
      ...ids,
      dataType: "float32",
      dimension: 3,
      distanceMetric: "cosine",
      metadataConfiguration: { nonFilterableMetadataKeys: ["body"] },
    }),
  ),
);
out.indexArn = madeIndex.indexArn;
for (const extra of ["js-index-b", "js-index-c"]) {
  await send(
    new CreateIndexCommand({
      vectorBucketName: bucket,
      indexName: extra,
      dataType: "float32",
      dimension: 3,
      distanceMetric: "euclidean",
    }),
  );
}
const gotIndex = record("GetIndex", await send(new GetIndexCommand(ids)));
out.index = {
  dimension: gotIndex.index.dimension,
  distanceMetric: gotIndex.index.distanceMetric,
  nonFilterable: gotIndex.index.metadataConfiguration?.nonFilterableMetadataKeys ?? [],
};
const indexes = record("ListIndexes", await send(new ListIndexesCommand({ vectorBucketName: bucket })));
out.indexNames = indexes.indexes.map((i) => i.indexName);
out.paginators.ListIndexes = await paged(
  paginateListIndexes({ client, pageSize: 2 }, { vectorBucketName: bucket }),
);

// 250 vectors: key v000..v249, the angle grows with the number, so the ranking from
// [1, 0, 0] is v000, v001, ...; "folder" gives $startsWith something to match.
const vectors = Array.from({ length: 250 }, (_, i) => ({
  key: `v${String(i).padStart(3, "0")}`,
  data: { float32: [Math.cos(i / 200), Math.sin(i / 200), 0.0] },
  metadata: { n: i, folder: i % 2 === 0 ? "docs/even" : "src/odd", body: "text" },
}));
for (let start = 0; start < vectors.length; start += 100) {
  record("PutVectors", await send(new PutVectorsCommand({ ...ids, vectors: vectors.slice(start, start + 100) })));
}
const fetched = record(
  "GetVectors",
  await send(new GetVectorsCommand({ ...ids, keys: ["v001", "v002", "missing"], returnData: true, returnMetadata: true })),
);
out.getVectors = fetched.vectors.map((v) => ({ key: v.key, n: v.metadata.n, dims: v.data.float32.length }));
const listed = record("ListVectors", await send(new ListVectorsCommand(ids)));
out.listDefaultPage = { size: listed.vectors.length, hasToken: Boolean(listed.nextToken) };
// A paginator writes nextToken into the input it is given: hand each one a fresh object.
out.paginators.ListVectors = await paged(paginateListVectors({ client, pageSize: 60 }, { ...ids }));
const segments = [];
for (let segmentIndex = 0; segmentIndex < 3; segmentIndex += 1) {
  segments.push(
    (await paged(paginateListVectors({ client, pageSize: 50 }, { ...ids, segmentCount: 3, segmentIndex }))).keys,
  );
}
out.segments = segments;

const query = { ...ids, queryVector: { float32: [1, 0, 0] } };
const first = record("QueryVectors", await send(new QueryVectorsCommand({ ...query, topK: 4, returnDistance: true })));
out.query = {
  keys: first.vectors.map((v) => v.key),
  hasToken: Boolean(first.nextToken),
  metric: first.distanceMetric,
  firstDistance: first.vectors[0].distance,
};
out.paginators.QueryVectorsTopK4 = await paged(paginateQueryVectors({ client }, { ...query, topK: 4 }));
out.paginators.QueryVectorsTopK150 = await paged(paginateQueryVectors({ client }, { ...query, topK: 150 }));
const prefixed = await send(
  new QueryVectorsCommand({ ...query, topK: 5, filter: { folder: { $startsWith: "docs/" } }, returnMetadata: true }),
);
out.startsWith = prefixed.vectors.map((v) => v.metadata.folder);

record("TagResource", await send(new TagResourceCommand({ resourceArn: out.indexArn, tags: { a: "1", b: "2" } })));
record("UntagResource", await send(new UntagResourceCommand({ resourceArn: out.indexArn, tagKeys: ["a"] })));
const tags = record("ListTagsForResource", await send(new ListTagsForResourceCommand({ resourceArn: out.indexArn })));
out.tags = tags.tags;

// Error cases: name and HTTP status as the SDK reports them.
await failure("GetIndexMissing", new GetIndexCommand({ vectorBucketName: bucket, indexName: "no-such-index" }));
await failure("GetVectorBucketMissing", new GetVectorBucketCommand({ vectorBucketName: "no-such-bucket" }));
await failure("GetVectorBucketPolicyMissing", new GetVectorBucketPolicyCommand({ vectorBucketName: bucket }));
await failure("CreateVectorBucketDuplicate", new CreateVectorBucketCommand({ vectorBucketName: bucket }));
await failure("CreateIndexDuplicate", new CreateIndexCommand({ ...ids, dataType: "float32", dimension: 3, distanceMetric: "cosine" }));
await failure("DeleteVectorBucketNotEmpty", new DeleteVectorBucketCommand({ vectorBucketName: bucket }));
await failure("CreateVectorBucketDots", new CreateVectorBucketCommand({ vectorBucketName: "my.bucket" }));
await failure("QueryTopKZero", new QueryVectorsCommand({ ...query, topK: 0 }));
await failure("QueryTopKOverCeiling", new QueryVectorsCommand({ ...query, topK: 10001 }));
await failure("QueryWrongDimension", new QueryVectorsCommand({ ...ids, topK: 1, queryVector: { float32: [1, 0] } }));
await failure("QueryNonFilterableKey", new QueryVectorsCommand({ ...query, topK: 1, filter: { body: "text" } }));
await failure("QueryUnknownOperator", new QueryVectorsCommand({ ...query, topK: 1, filter: { n: { $regex: "1" } } }));
await failure("PutVectorsTooMany", new PutVectorsCommand({ ...ids, vectors: Array.from({ length: 501 }, (_, i) => ({ key: `x${i}`, data: { float32: [1, 0, 0] } })) }));
await failure("GetVectorsTooMany", new GetVectorsCommand({ ...ids, keys: Array.from({ length: 101 }, (_, i) => `k${i}`) }));
await failure("ListVectorsBadToken", new ListVectorsCommand({ ...ids, nextToken: "not-a-token" }));
await failure("TagReservedKey", new TagResourceCommand({ resourceArn: out.indexArn, tags: { "aws:x": "1" } }));

record("DeleteVectors", await send(new DeleteVectorsCommand({ ...ids, keys: ["v000", "v001", "missing"] })));
out.afterDelete = (await send(new GetVectorsCommand({ ...ids, keys: ["v000", "v002"] }))).vectors.map((v) => v.key);
for (const name of [index, "js-index-b", "js-index-c"]) {
  record("DeleteIndex", await send(new DeleteIndexCommand({ vectorBucketName: bucket, indexName: name })));
}
for (const name of [bucket, "js-extra-1", "js-extra-2"]) {
  record("DeleteVectorBucket", await send(new DeleteVectorBucketCommand({ vectorBucketName: name })));
}
out.bucketsLeft = (await send(new ListVectorBucketsCommand({}))).vectorBuckets.length;
out.commands = [...new Set(out.commands)].sort();

process.stdout.write(JSON.stringify(out));
