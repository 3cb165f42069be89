import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { User } from "../../gen/hearth/v1/auth_pb";
import type { UserService } from "../../gen/hearth/v1/user_pb";

// findUser resolves a username (or email) to its account, or fails with
// NotFound in words.
export async function findUser(users: Client<typeof UserService>, username: string): Promise<User> {
  const wanted = username.trim().toLowerCase();
  const res = await users.listUsers({ query: wanted, pageSize: 500 });
  const user = res.users.find((u) => u.username.toLowerCase() === wanted || u.email.toLowerCase() === wanted);
  if (!user) {
    throw new ConnectError(`there is no user “${username.trim()}”`, Code.NotFound);
  }
  return user;
}
