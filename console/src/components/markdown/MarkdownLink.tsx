import { Anchor } from "@mantine/core";
import type { AnchorHTMLAttributes } from "react";
import { Link } from "react-router";

// isInternal: a path of this console, followed without a page load.
function isInternal(href: string): boolean {
  return href.startsWith("/") && !href.startsWith("//") && !href.startsWith("/\\");
}

// MarkdownLink renders a link of rendered markdown: the console's own
// pages through the router, anything else in a new tab that gets neither
// the opener, the referrer nor the author's endorsement.
export function MarkdownLink({ href, children, title }: AnchorHTMLAttributes<HTMLAnchorElement>) {
  if (!href) {
    return <>{children}</>;
  }
  if (isInternal(href)) {
    return (
      <Anchor component={Link} to={href} title={title} inherit>
        {children}
      </Anchor>
    );
  }
  if (href.startsWith("#")) {
    return (
      <Anchor href={href} title={title} inherit>
        {children}
      </Anchor>
    );
  }
  return (
    <Anchor href={href} title={title} target="_blank" rel="noopener noreferrer nofollow" inherit>
      {children}
    </Anchor>
  );
}
