package istiod

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Gauge is one sample of a metric without labels or with them.
type Gauge struct {
	Name   string
	Labels string // as written between braces, "" when none
	Value  float64
}

// ParseConflictGauges reads the pilot_conflict_* samples of istiod's
// /metrics (Prometheus text format), sorted by name. istiod sets each gauge
// to the number of records of its kind in the previous push context, for
// all proxies together: it is a cross-check, not a per-proxy count.
func ParseConflictGauges(text []byte) ([]Gauge, error) {
	var out []Gauge
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || !strings.HasPrefix(line, "pilot_conflict_") {
			continue
		}
		g, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("istiod /metrics line %d: %w", n, err)
		}
		out = append(out, g)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name+out[i].Labels < out[j].Name+out[j].Labels })
	return out, nil
}

// parseSample reads `name{labels} value [timestamp]`.
func parseSample(line string) (Gauge, error) {
	var g Gauge
	rest := line
	if i := strings.IndexAny(rest, "{ "); i < 0 {
		return g, fmt.Errorf("%q: no value", line)
	} else if rest[i] == '{' {
		j := strings.LastIndexByte(rest, '}')
		if j < i {
			return g, fmt.Errorf("%q: unterminated labels", line)
		}
		g.Name, g.Labels, rest = rest[:i], rest[i+1:j], rest[j+1:]
	} else {
		g.Name, rest = rest[:i], rest[i:]
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 || len(fields) > 2 {
		return g, fmt.Errorf("%q: want a value and an optional timestamp", line)
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return g, fmt.Errorf("%q: %w", line, err)
	}
	g.Value = v
	return g, nil
}

// ByKind sums the gauges by conflict kind (ConflictKind of the name).
func ByKind(gs []Gauge) map[string]float64 {
	out := map[string]float64{}
	for _, g := range gs {
		out[string(ConflictKind(g.Name))] += g.Value
	}
	return out
}
