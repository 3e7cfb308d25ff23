// Command kubecheck validates Kubernetes manifests offline: each YAML
// document read from stdin (helm template's output) is decoded strictly
// into the k8s.io/api type of its apiVersion and kind, so an unknown or
// misspelt field, a wrong type, or a kind this checker does not know
// fails; then what the API server would refuse at once is checked (names,
// a Deployment's selector matching its pod labels, container ports and
// probe ports that name a declared port). It exists because kubeconform
// needs JSON schemas downloaded from outside the package registries, which
// this project's machines cannot reach; where they are reachable, run
// kubeconform as well.
//
//	helm template t deploy/helm/tributary | (cd deploy/kubecheck && go run .)
//
// Its own module, so k8s.io/api stays out of the broker's go.mod.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

func main() {
	n, err := check(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubecheck:", err)
		os.Exit(1)
	}
	if n == 0 {
		fmt.Fprintln(os.Stderr, "kubecheck: no documents")
		os.Exit(1)
	}
}

// check validates every document of r and prints one line per document.
func check(r io.Reader, out io.Writer) (int, error) {
	docs, err := split(r)
	if err != nil {
		return 0, err
	}
	var errs []error
	n := 0
	for _, d := range docs {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(d, &tm); err != nil {
			errs = append(errs, err)
			continue
		}
		if tm.Kind == "" {
			continue // an empty document (a disabled template)
		}
		n++
		name, err := validate(tm, d)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", tm.Kind, name, err))
			continue
		}
		fmt.Fprintf(out, "ok %s %s %s\n", tm.APIVersion, tm.Kind, name)
	}
	return n, errors.Join(errs...)
}

func split(r io.Reader) ([][]byte, error) {
	var docs [][]byte
	var cur bytes.Buffer
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimRight(line, " ") == "---" {
			docs = append(docs, append([]byte(nil), cur.Bytes()...))
			cur.Reset()
			continue
		}
		cur.WriteString(line + "\n")
	}
	docs = append(docs, cur.Bytes())
	return docs, sc.Err()
}

// validate decodes the document strictly into its type and checks it.
func validate(tm metav1.TypeMeta, doc []byte) (string, error) {
	switch tm.APIVersion + " " + tm.Kind {
	case "v1 ConfigMap":
		var o corev1.ConfigMap
		return strict(doc, &o, &o.ObjectMeta, nil)
	case "v1 Service":
		var o corev1.Service
		return strict(doc, &o, &o.ObjectMeta, func() error { return servicePorts(o) })
	case "apps/v1 Deployment":
		var o appsv1.Deployment
		return strict(doc, &o, &o.ObjectMeta, func() error { return deployment(o) })
	case "batch/v1 CronJob":
		var o batchv1.CronJob
		return strict(doc, &o, &o.ObjectMeta, func() error { return podSpec(o.Spec.JobTemplate.Spec.Template.Spec) })
	case "policy/v1 PodDisruptionBudget":
		var o policyv1.PodDisruptionBudget
		return strict(doc, &o, &o.ObjectMeta, nil)
	}
	return "", fmt.Errorf("unknown to this checker: %s %s", tm.APIVersion, tm.Kind)
}

func strict(doc []byte, into any, meta *metav1.ObjectMeta, more func() error) (string, error) {
	if err := yaml.UnmarshalStrict(doc, into); err != nil {
		return "", err
	}
	if errs := validation.IsDNS1123Subdomain(meta.Name); len(errs) > 0 {
		return meta.Name, fmt.Errorf("name: %s", strings.Join(errs, "; "))
	}
	if more != nil {
		return meta.Name, more()
	}
	return meta.Name, nil
}

func deployment(d appsv1.Deployment) error {
	if d.Spec.Selector == nil || len(d.Spec.Selector.MatchLabels) == 0 {
		return errors.New("spec.selector.matchLabels is empty")
	}
	for k, v := range d.Spec.Selector.MatchLabels {
		if d.Spec.Template.Labels[k] != v {
			return fmt.Errorf("selector %s=%s does not match the pod template's labels", k, v)
		}
	}
	return podSpec(d.Spec.Template.Spec)
}

// podSpec checks the containers: an image, named ports, probes on them.
func podSpec(s corev1.PodSpec) error {
	if len(s.Containers) == 0 {
		return errors.New("no containers")
	}
	for _, c := range s.Containers {
		if c.Image == "" {
			return fmt.Errorf("container %s: no image", c.Name)
		}
		ports := map[string]bool{}
		for _, p := range c.Ports {
			if p.ContainerPort <= 0 || p.ContainerPort > 65535 {
				return fmt.Errorf("container %s: port %s: %d", c.Name, p.Name, p.ContainerPort)
			}
			ports[p.Name] = true
		}
		for what, pr := range map[string]*corev1.Probe{"startup": c.StartupProbe, "readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
			if pr == nil || pr.HTTPGet == nil {
				continue
			}
			if p := pr.HTTPGet.Port; p.StrVal != "" && !ports[p.StrVal] {
				return fmt.Errorf("container %s: %s probe on undeclared port %q", c.Name, what, p.StrVal)
			}
		}
		mounts := map[string]bool{}
		for _, v := range s.Volumes {
			mounts[v.Name] = true
		}
		for _, m := range c.VolumeMounts {
			if !mounts[m.Name] {
				return fmt.Errorf("container %s: mount of undeclared volume %q", c.Name, m.Name)
			}
		}
	}
	return nil
}

func servicePorts(s corev1.Service) error {
	if len(s.Spec.Ports) == 0 || len(s.Spec.Selector) == 0 {
		return errors.New("a Service needs ports and a selector")
	}
	return nil
}
