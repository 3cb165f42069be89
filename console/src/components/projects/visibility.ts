import { Visibility } from "../../gen/hearth/v1/project_pb";

export const visibilityLabel: Record<Visibility, string> = {
  [Visibility.UNSPECIFIED]: "Private",
  [Visibility.PRIVATE]: "Private",
  [Visibility.INTERNAL]: "Internal",
  [Visibility.PUBLIC]: "Public",
};

export const visibilityHelp: Partial<Record<Visibility, string>> = {
  [Visibility.PRIVATE]: "Only members can see it.",
  [Visibility.INTERNAL]: "Anyone signed in can see it.",
  [Visibility.PUBLIC]: "Anyone can see it, signed in or not.",
};
