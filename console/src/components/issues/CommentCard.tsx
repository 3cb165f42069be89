import { ActionIcon, Alert, Avatar, Button, Group, Menu, Paper, Stack, Text } from "@mantine/core";
import { IconDots, IconPencil, IconTrash } from "@tabler/icons-react";
import { useState, type ReactNode } from "react";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { ErrorAlert } from "../ErrorAlert";
import { Markdown } from "../markdown/Markdown";
import { CommentForm } from "./CommentForm";
import { formatTime, isoTime } from "./formatTime";

export interface CommentLike {
  id: string;
  author: string;
  body: string;
  createTime?: Timestamp;
  updateTime?: Timestamp;
}

interface Props {
  comment: CommentLike;
  // The signed-in user wrote it: they may edit and delete it.
  mine: boolean;
  onSave(body: string): Promise<unknown>;
  onDelete(): Promise<unknown>;
  // Said above the body (e.g. where a line comment is).
  context?: ReactNode;
}

function edited(c: CommentLike): boolean {
  return !!c.updateTime && !!c.createTime && c.updateTime.seconds !== c.createTime.seconds;
}

// CommentCard is one comment: who wrote it and when, its markdown, and
// editing or deleting it for its author.
export function CommentCard({ comment, mine, onSave, onDelete, context }: Props) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const run = async (fn: () => Promise<unknown>) => {
    setPending(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
      throw err;
    } finally {
      setPending(false);
    }
  };
  return (
    <Paper component="article" withBorder p="sm" radius="md" aria-label={`Comment by ${comment.author}`}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap" gap="xs">
          <Group gap="xs" wrap="wrap" style={{ minWidth: 0 }}>
            <Avatar name={comment.author} color="initials" size={24} radius="xl" />
            <Text fw={600} size="sm">
              {comment.author}
            </Text>
            <Text size="xs" c="dimmed" component="time" dateTime={isoTime(comment.createTime)}>
              {formatTime(comment.createTime)}
              {edited(comment) && " · edited"}
            </Text>
          </Group>
          {mine && !editing && (
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <ActionIcon variant="subtle" color="gray" aria-label={`Actions for the comment by ${comment.author}`}>
                  <IconDots size={16} aria-hidden />
                </ActionIcon>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item leftSection={<IconPencil size={14} aria-hidden />} onClick={() => setEditing(true)}>
                  Edit
                </Menu.Item>
                <Menu.Item
                  color="red"
                  leftSection={<IconTrash size={14} aria-hidden />}
                  onClick={() => setConfirming(true)}
                >
                  Delete
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          )}
        </Group>
        {context}
        {confirming && (
          <Alert color="red" variant="light" title="Delete this comment?" role="alertdialog" aria-label="Delete this comment?">
            <Group gap="xs" mt={4}>
              <Button
                size="xs"
                color="red"
                loading={pending}
                autoFocus
                onClick={() => run(onDelete).then(() => setConfirming(false), () => setConfirming(false))}
              >
                Delete
              </Button>
              <Button size="xs" variant="default" onClick={() => setConfirming(false)}>
                Keep it
              </Button>
            </Group>
          </Alert>
        )}
        {!editing && error != null && <ErrorAlert error={error} title="Could not change the comment" />}
        {editing ? (
          <CommentForm
            label="Edit comment"
            submitLabel="Save"
            initial={comment.body}
            pending={pending}
            autoFocus
            error={error != null && <ErrorAlert error={error} title="Could not save the comment" />}
            onSubmit={(body) => run(() => onSave(body)).then(() => setEditing(false))}
            onCancel={() => {
              setEditing(false);
              setError(null);
            }}
          />
        ) : (
          <Markdown>{comment.body}</Markdown>
        )}
      </Stack>
    </Paper>
  );
}
