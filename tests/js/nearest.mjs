// The nearest key to [1, 0] in a bucket and index named on the command line, from the
// S3 Vectors endpoint of the environment (AWS_ENDPOINT_URL_S3VECTORS, AWS_REGION, keys).
import { QueryVectorsCommand, S3VectorsClient } from "@aws-sdk/client-s3vectors";

const [vectorBucketName, indexName] = process.argv.slice(2);
const client = new S3VectorsClient({});
const answer = await client.send(
  new QueryVectorsCommand({ vectorBucketName, indexName, topK: 1, queryVector: { float32: [1, 0] } }),
);
console.log(JSON.stringify(answer.vectors.map((vector) => vector.key)));
