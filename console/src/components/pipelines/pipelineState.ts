import {
  IconBan,
  IconCircleCheck,
  IconCircleDashed,
  IconCircleX,
  IconClock,
  IconHourglass,
  IconLoader2,
  IconPlayerSkipForward,
  type Icon,
} from "@tabler/icons-react";
import { PipelineState } from "../../gen/hearth/v1/pipeline_pb";

export interface StateInfo {
  label: string;
  color: string;
  icon: Icon;
}

// stateInfo: how each pipeline or job state looks (words, colour, icon);
// the words say it without the colour.
export const stateInfo: Record<PipelineState, StateInfo> = {
  [PipelineState.UNSPECIFIED]: { label: "Unknown", color: "gray", icon: IconCircleDashed },
  [PipelineState.CREATED]: { label: "Created", color: "gray", icon: IconCircleDashed },
  [PipelineState.PENDING]: { label: "Pending", color: "yellow", icon: IconClock },
  [PipelineState.RUNNING]: { label: "Running", color: "blue", icon: IconLoader2 },
  [PipelineState.SUCCESS]: { label: "Passed", color: "green", icon: IconCircleCheck },
  [PipelineState.FAILURE]: { label: "Failed", color: "red", icon: IconCircleX },
  [PipelineState.CANCELLED]: { label: "Cancelled", color: "gray", icon: IconBan },
  [PipelineState.SKIPPED]: { label: "Skipped", color: "gray", icon: IconPlayerSkipForward },
  [PipelineState.TIMED_OUT]: { label: "Timed out", color: "orange", icon: IconHourglass },
};

// isActive: the pipeline or job may still change (worth polling).
export function isActive(state: PipelineState): boolean {
  return state === PipelineState.CREATED || state === PipelineState.PENDING || state === PipelineState.RUNNING;
}

// isFinished: the job ended (it can be retried, not cancelled).
export function isFinished(state: PipelineState): boolean {
  return !isActive(state) && state !== PipelineState.UNSPECIFIED;
}

// isRetryable: a pipeline has jobs RetryPipeline would run again.
export function isRetryable(state: PipelineState): boolean {
  return (
    state === PipelineState.FAILURE ||
    state === PipelineState.CANCELLED ||
    state === PipelineState.TIMED_OUT ||
    state === PipelineState.SKIPPED
  );
}
