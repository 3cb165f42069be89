import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { UserSchema, type User } from "../gen/hearth/v1/auth_pb";
import { ProjectSchema, Visibility, type Project } from "../gen/hearth/v1/project_pb";
import { setCsrfToken } from "../api/csrf";

export const ada: User = create(UserSchema, {
  id: "0190a6c0-0000-7000-8000-000000000001",
  username: "ada",
  email: "ada@example.com",
  displayName: "Ada Lovelace",
  active: true,
});

export function project(
  owner: string,
  name: string,
  fields: Omit<MessageInitShape<typeof ProjectSchema>, "$typeName"> = {},
): Project {
  return create(ProjectSchema, {
    id: `${owner}/${name}`,
    owner,
    name,
    visibility: Visibility.PRIVATE,
    defaultBranch: "main",
    createTime: timestampFromDate(new Date("2026-11-01T12:00:00Z")),
    httpUrl: `http://hearth.test/${owner}/${name}.git`,
    ...fields,
  });
}

// signedIn makes the console believe a session exists (GetMe must answer
// with a user too).
export function signedIn(token = "csrf-token-1") {
  setCsrfToken(token);
}
