package server

import (
	"context"
	"errors"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/cluster"
)

// localJoinToken makes sure the cluster named name exists and returns a
// single-use join token for it (hearth dev's own agent registers with it).
func localJoinToken(ctx context.Context, clusters *cluster.Service, name string) (string, error) {
	c, err := clusters.CreateCluster(ctx, name, map[string]string{"hearth.dev/local": "true"})
	if e, ok := apperr.As(err); ok && e.Kind == apperr.KindConflict {
		c, err = clusterNamed(ctx, clusters, name)
	}
	if err != nil {
		return "", err
	}
	_, token, err := clusters.CreateJoinToken(ctx, c.ID, cluster.NewJoinToken{
		Description: "hearth dev: the local agent", ExpiresAt: time.Now().Add(time.Hour), MaxUses: 1,
	})
	return token, err
}

func clusterNamed(ctx context.Context, clusters *cluster.Service, name string) (cluster.Cluster, error) {
	all, err := clusters.ListClusters(ctx)
	if err != nil {
		return cluster.Cluster{}, err
	}
	for _, c := range all {
		if c.Name == name {
			return c, nil
		}
	}
	return cluster.Cluster{}, errors.New("cluster " + name + " vanished")
}
