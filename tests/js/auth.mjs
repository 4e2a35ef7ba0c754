// Check who an S3 Vectors endpoint lets in, with the AWS SDK for JavaScript v3.
//
// Usage: node auth.mjs https://127.0.0.1:PORT
// (the accepted key: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)
//
// Creates one vector bucket with the accepted key, then tries to create others with a
// wrong secret and with no signature at all; prints what each attempt got as one JSON
// object. The Python test that runs it (tests/integration_tests/test_js_sdk.py) judges.
import {
  CreateVectorBucketCommand,
  ListVectorBucketsCommand,
  S3VectorsClient,
} from "@aws-sdk/client-s3vectors";

const endpoint = process.argv[2];
const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;

function clientWith(credentials) {
  return new S3VectorsClient({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
}

// Unsigned: the request leaves without the headers the signer added.
const unsigned = clientWith({ accessKeyId, secretAccessKey });
unsigned.middlewareStack.add(
  (next) => async (args) => {
    for (const name of ["authorization", "x-amz-date", "x-amz-content-sha256"]) {
      delete args.request.headers[name];
    }
    return next(args);
  },
  { step: "deserialize", priority: "low", name: "dropSignature" },
);

async function attempt(client, name) {
  try {
    const answer = await client.send(new CreateVectorBucketCommand({ vectorBucketName: name }));
    return { ok: true, status: answer.$metadata.httpStatusCode };
  } catch (error) {
    return { ok: false, name: error.name, status: error.$metadata?.httpStatusCode ?? null };
  }
}

const right = clientWith({ accessKeyId, secretAccessKey });
const out = {
  rightKey: await attempt(right, "js-right-key"),
  wrongKey: await attempt(clientWith({ accessKeyId, secretAccessKey: "wrong-secret" }), "js-wrong"),
  unsigned: await attempt(unsigned, "js-unsigned"),
};
const listed = await right.send(new ListVectorBucketsCommand({}));
out.buckets = listed.vectorBuckets.map((b) => b.vectorBucketName);
console.log(JSON.stringify(out));
