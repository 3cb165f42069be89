import { DiffSide } from "../../gen/hearth/v1/merge_request_pb";

// The diff view's sides and the API's.
export function toApiSide(side: "old" | "new"): DiffSide {
  return side === "old" ? DiffSide.OLD : DiffSide.NEW;
}

export function fromApiSide(side: DiffSide): "old" | "new" {
  return side === DiffSide.OLD ? "old" : "new";
}
