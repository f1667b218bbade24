package analyze

import (
	"sort"

	"github.com/listenerlab/listenerlab/predictor"
)

// Rule describes a finding code: what it means and the one-line fix.
type Rule struct {
	Code    predictor.Code
	Summary string
	Fix     string
	// Istioctl names the istioctl analyze messages that look at the same
	// configuration ("" when none does).
	Istioctl string
}

// rules are the codes the predictor raises, described by its one table
// (predictor.FindingTypes). A code missing there still reaches the output,
// with a generic description.
var rules = func() []Rule {
	var out []Rule
	for _, t := range predictor.FindingTypes() {
		out = append(out, Rule{Code: t.Code, Summary: t.Summary, Fix: t.Fix, Istioctl: t.Istioctl})
	}
	return out
}()

func ruleFor(code predictor.Code) Rule {
	for _, r := range rules {
		if r.Code == code {
			return r
		}
	}
	return Rule{Code: code, Summary: "A listener finding of the predictor (" + string(code) + ").", Fix: "See the message."}
}

// Rules returns the known codes, sorted.
func Rules() []Rule {
	out := append([]Rule(nil), rules...)
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Severities from most to least severe; "none" is a --fail-on value only.
var severityRank = map[predictor.Severity]int{
	predictor.SeverityError: 3, predictor.SeverityWarning: 2, predictor.SeverityInfo: 1, "none": 4,
}

// ParseFailOn checks a --fail-on value.
func ParseFailOn(s string) (string, bool) {
	_, ok := severityRank[predictor.Severity(s)]
	return s, ok
}

// Fails reports whether the report has a finding at or above the severity
// failOn ("none" never fails).
func (r *Report) Fails(failOn string) bool {
	limit := severityRank[predictor.Severity(failOn)]
	for _, f := range r.Findings {
		if severityRank[f.Severity] >= limit {
			return true
		}
	}
	return false
}
