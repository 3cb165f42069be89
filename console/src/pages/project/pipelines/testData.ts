import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { JobSchema, PipelineSchema, PipelineState, type Job, type Pipeline } from "../../../gen/hearth/v1/pipeline_pb";

// Test data for the Pipelines tab's tests.
const t0 = new Date("2026-11-20T10:00:00Z");

export function pipeline(n: number, fields: Omit<MessageInitShape<typeof PipelineSchema>, "$typeName"> = {}): Pipeline {
  return create(PipelineSchema, {
    id: `p-${n}`,
    project: "ada/tools",
    number: BigInt(n),
    ref: "refs/heads/main",
    commitSha: "0123456789abcdef0123456789abcdef01234567",
    event: "push",
    state: PipelineState.SUCCESS,
    createTime: timestampFromDate(t0),
    startTime: timestampFromDate(t0),
    finishTime: timestampFromDate(new Date(t0.getTime() + 95_000)),
    ...fields,
  });
}

export function job(name: string, fields: Omit<MessageInitShape<typeof JobSchema>, "$typeName"> = {}): Job {
  return create(JobSchema, {
    id: `j-${name}`,
    pipelineId: "p-7",
    name,
    attempt: 1,
    state: PipelineState.SUCCESS,
    createTime: timestampFromDate(t0),
    startTime: timestampFromDate(t0),
    finishTime: timestampFromDate(new Date(t0.getTime() + 30_000)),
    ...fields,
  });
}
