package app

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/listenerlab/listenerlab/predictor/versions"
)

// notModelledOf is one prediction's Prediction.NotModelled, with the name
// of what was predicted (a scenario, a client).
type notModelledOf struct {
	name  string
	items []string
}

// printNotModelled writes each "not modelled" item on stderr, as the
// version notice and analyze's capture notes are: once, unprefixed, when
// every prediction has it (the version, a mesh config they share), else
// per prediction ("not modelled: SCENARIO: ITEM").
func printNotModelled(stderr io.Writer, of []notModelledOf) {
	count := map[string]int{}
	var common []string
	for _, o := range of {
		for _, it := range o.items {
			if count[it]++; count[it] == len(of) {
				common = append(common, it)
			}
		}
	}
	slices.Sort(common)
	for _, it := range common {
		fmt.Fprintf(stderr, "not modelled: %s\n", it)
	}
	for _, o := range of {
		for _, it := range o.items {
			if count[it] < len(of) {
				fmt.Fprintf(stderr, "not modelled: %s: %s\n", o.name, it)
			}
		}
	}
}

// withoutUnverified drops from a version notice the line that every
// prediction of v carries in NotModelled (versions.Unverified), printed
// with the prediction's other items instead.
func withoutUnverified(notice string, v versions.Version) string {
	u := versions.Unverified(v)
	if u == "" {
		return notice
	}
	lines := strings.Split(notice, "\n")
	lines = slices.DeleteFunc(lines, func(l string) bool { return l == "not modelled: "+u })
	return strings.Join(lines, "\n")
}
