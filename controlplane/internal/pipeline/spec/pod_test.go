package spec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestPodSectionParses: a job's kubernetes section comes through whole.
func TestPodSectionParses(t *testing.T) {
	p, err := Parse([]byte(`jobs:
  build:
    image: golang:1.26
    steps: [go build ./...]
    kubernetes:
      requests: {cpu: 500m, memory: 1Gi}
      limits: {cpu: "2", memory: 4Gi, ephemeral-storage: 10Gi}
      node_selector: {disktype: ssd}
      tolerations:
        - {key: dedicated, operator: Equal, value: ci, effect: NoSchedule}
      service_account: builder
      labels: {team: web}
      annotations: {example.com/owner: "web team"}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Pod{
		Requests: map[string]string{"cpu": "500m", "memory": "1Gi"}, Limits: map[string]string{"cpu": "2", "memory": "4Gi", "ephemeral-storage": "10Gi"},
		NodeSelector: map[string]string{"disktype": "ssd"}, Tolerations: []Toleration{{Key: "dedicated", Operator: "Equal", Value: "ci", Effect: "NoSchedule"}},
		ServiceAccount: "builder", Labels: map[string]string{"team": "web"}, Annotations: map[string]string{"example.com/owner": "web team"},
	}
	if got := p.Jobs[0].Pod; !reflect.DeepEqual(got, want) {
		t.Fatalf("pod %+v\nwant %+v", got, want)
	}
}

// TestPodSectionRefusals: host access, privileges and volumes are refused
// by name, resources beyond the ceilings or malformed, and requests above
// limits, each at its line and column.
func TestPodSectionRefusals(t *testing.T) {
	in := `jobs:
  a:
    steps: [x]
    kubernetes:
      privileged: true
      host_network: true
      hostPath: /var/run/docker.sock
      volumes: [{name: x}]
      requests: {cpu: 500m, memory: 1e9, gpu: 1}
      limits: {cpu: "100", memory: 300Gi}
      service_account: "Bad Name"
      labels: {hearth.dev/job: forged}
      tolerations: [{operator: Sometimes}]
      annotations: {"--flag": x}
      pod_spec: {}
  b:
    steps: [x]
    kubernetes:
      requests: {memory: 2Gi}
      limits: {memory: 1Gi}
`
	_, err := Parse([]byte(in))
	var list *ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("err %v", err)
	}
	want := []string{
		`line 5, column 7: job "a" kubernetes: "privileged" is not allowed`,
		`line 6, column 7: job "a" kubernetes: "host_network" is not allowed`,
		`line 7, column 7: job "a" kubernetes: "hostPath" is not allowed`,
		`line 8, column 7: job "a" kubernetes: "volumes" is not allowed`,
		`line 9, column 37: job "a" kubernetes.requests: memory "1e9": write a quantity`,
		`line 9, column 42: job "a" kubernetes.requests: unknown key "gpu"`,
		`line 10, column 21: job "a" kubernetes.limits: cpu 100 is beyond what any job may ask for here (at most 64 cores)`,
		`line 10, column 36: job "a" kubernetes.limits: memory 300Gi is beyond`,
		`line 11, column 24: job "a" kubernetes: service_account "Bad Name"`,
		`job "a" kubernetes: label "hearth.dev/job": hearth.dev/ labels are Hearth's own`,
		`line 13, column 32: job "a" kubernetes: toleration operator "Sometimes"`,
		`job "a" kubernetes: annotation key "--flag"`,
		`line 15, column 7: job "a" kubernetes: unknown key "pod_spec"`,
		`line 18, column 5: job "b" kubernetes: memory request 2Gi is more than its limit 1Gi`,
	}
	got := err.Error()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
}
