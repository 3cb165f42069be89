import { Typography } from "@mantine/core";
import { useMemo } from "react";
import ReactMarkdown, { defaultUrlTransform, type Components, type Options, type UrlTransform } from "react-markdown";
import { useParams } from "react-router";
import rehypeSanitize from "rehype-sanitize";
import remarkGfm from "remark-gfm";
import { MarkdownLink } from "./MarkdownLink";
import { remarkReferences } from "./remarkReferences";

interface Props {
  // The markdown text.
  children: string;
  // The project "#12" and "!3" refer to; default: the project in the URL.
  // Without one, references stay text.
  owner?: string;
  name?: string;
  // Rewrites each link and image URL (e.g. a README's relative links);
  // its result is made safe as any other URL.
  transformUrl?: (url: string, key: string) => string;
}

const components: Components = { a: MarkdownLink };

// Markdown renders user-written markdown (GitHub flavoured) safely: raw
// HTML is never rendered, the tree is sanitized (GitHub's allow-list: no
// scripts, event handlers, styles or javascript: URLs), external links
// carry rel="noopener noreferrer nofollow", and "#12" / "!3" link to the
// project's issues and merge requests.
export function Markdown({ children, owner, name, transformUrl }: Props) {
  const params = useParams();
  const refOwner = owner ?? params.owner;
  const refName = name ?? params.name;
  const remarkPlugins = useMemo<Options["remarkPlugins"]>(
    () => (refOwner && refName ? [remarkGfm, [remarkReferences, { owner: refOwner, name: refName }]] : [remarkGfm]),
    [refOwner, refName],
  );
  const urlTransform = useMemo<UrlTransform>(
    () => (url, key) => defaultUrlTransform(transformUrl ? transformUrl(url, key) : url),
    [transformUrl],
  );
  return (
    <Typography style={{ overflowWrap: "anywhere" }}>
      <ReactMarkdown
        remarkPlugins={remarkPlugins}
        rehypePlugins={[rehypeSanitize]}
        components={components}
        urlTransform={urlTransform}
        skipHtml
      >
        {children}
      </ReactMarkdown>
    </Typography>
  );
}
