package kubetest

import (
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// mountPaths rewrites a container's paths to the host: each volume mount
// (mountPath → <pod dir>/volumes/<volume>[/<subPath>]). It rewrites every
// occurrence of a mount path in a string, longest mount first, which is
// what a generated script naming /hearth/workspace needs; a path that
// merely starts like a mount path (/hearth/workspace2) is rewritten too.
type mountPaths struct {
	r *strings.Replacer
}

func newMountPaths(podDir string, mounts []corev1.VolumeMount) *mountPaths {
	sorted := append([]corev1.VolumeMount(nil), mounts...)
	sort.SliceStable(sorted, func(i, j int) bool { return len(sorted[i].MountPath) > len(sorted[j].MountPath) })
	var pairs []string
	for _, m := range sorted {
		if m.MountPath == "" || m.MountPath == "/" {
			continue
		}
		pairs = append(pairs, strings.TrimRight(m.MountPath, "/"), filepath.Join(podDir, "volumes", m.Name, m.SubPath))
	}
	return &mountPaths{r: strings.NewReplacer(pairs...)}
}

func (m *mountPaths) rewrite(s string) string { return m.r.Replace(s) }

func (m *mountPaths) rewriteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = m.rewrite(s)
	}
	return out
}
