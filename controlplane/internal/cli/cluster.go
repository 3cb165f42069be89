package cli

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// parseLabels reads "k=v,k2=v2".
func parseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	if s == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("label %q: want key=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

func formatLabels(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func clusterCommands() map[string]subcommand {
	return map[string]subcommand{
		"create": {"create a cluster (admins): --name N [--labels k=v,...]", clusterCreate},
		"list":   {"list clusters (admins)", clusterList},
		"token":  {"create a join token (admins): --cluster ID [--expires 24h] [--uses 1]", clusterToken},
	}
}

// clusterCreate is `hearth cluster create`.
func clusterCreate(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	name := fs.String("name", "", "cluster name")
	labels := fs.String("labels", "", "comma-separated key=value labels")
	if code, done := parseFlags(fs, args, std, "hearth cluster create --name N [--labels k=v]"); done {
		return code
	}
	l, err := parseLabels(*labels)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := hearthv1connect.NewClusterServiceClient(s.http, s.server, s.options()...).CreateCluster(ctx, &hearthv1.CreateClusterRequest{Name: *name, Labels: l})
	if err != nil {
		return fail(std.err, ExitFailure, fmt.Errorf("%s", describe(err)))
	}
	fmt.Fprintln(std.out, res.GetCluster().GetId())
	return ExitOK
}

// clusterList is `hearth cluster list`.
func clusterList(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	if code, done := parseFlags(fs, args, std, "hearth cluster list"); done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := hearthv1connect.NewClusterServiceClient(s.http, s.server, s.options()...).ListClusters(ctx, &hearthv1.ListClustersRequest{})
	if err != nil {
		return fail(std.err, ExitFailure, fmt.Errorf("%s", describe(err)))
	}
	var rows [][]string
	for _, c := range res.GetClusters() {
		rows = append(rows, []string{c.GetId(), c.GetName(), formatLabels(c.GetLabels()), when(c.GetCreateTime())})
	}
	table(std.out, "ID\tNAME\tLABELS\tCREATED", rows)
	return ExitOK
}

// clusterToken is `hearth cluster token`.
func clusterToken(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	if len(args) > 0 && args[0] == "create" {
		args = args[1:] // "hearth cluster token create …" reads naturally
	}
	clusterID := fs.String("cluster", "", "cluster id")
	description := fs.String("description", "", "what the token is for")
	expires := fs.Duration("expires", 24*time.Hour, "lifetime (at most 30 days)")
	uses := fs.Int("uses", 1, "registrations it allows (0: unlimited until it expires)")
	if code, done := parseFlags(fs, args, std, "hearth cluster token create --cluster ID [--expires 24h] [--uses 1]"); done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := hearthv1connect.NewClusterServiceClient(s.http, s.server, s.options()...).CreateJoinToken(ctx, &hearthv1.CreateJoinTokenRequest{
		ClusterId: *clusterID, Description: *description, MaxUses: int32(*uses), //nolint:gosec // G115: validated by the server.
		ExpireTime: timestamppb.New(time.Now().Add(*expires)),
	})
	if err != nil {
		return fail(std.err, ExitFailure, fmt.Errorf("%s", describe(err)))
	}
	fmt.Fprintln(std.err, "Join token created; it is shown only this once:")
	fmt.Fprintln(std.out, res.GetToken())
	return ExitOK
}
