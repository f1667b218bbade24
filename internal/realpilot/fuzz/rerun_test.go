package fuzz

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/scenariogen"
	"github.com/listenerlab/listenerlab/internal/realpilot/backend"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/world"
)

// The two answers real pilot 1.31-dev gave for seed 777001537's World in
// six `verify --keep` runs (two and four times): 0.0.0.0_5432 built from
// the ServiceEntry's CIDR service (an SNI chain, tls_inspector,
// passthrough) or from its IP service (one match-all chain). The seed's
// case now also draws outboundTrafficPolicy ALLOW_ANY_DYNAMIC_DNS from the
// generator's mesh stream, which changes no port's listener (only
// virtualOutbound's reason, and HTTP routes); the lead re-ran the seed on
// real pilot after that change (fuzz --istio 1.31-dev --seed 777001537).
const (
	seedTied   = 777001537
	cidrAnswer = "testdata/777001537-1.31-dev-cidr-service.json"
	ipAnswer   = "testdata/777001537-1.31-dev-ip-service.json"
	// noAnswer is a config dump without listeners, an answer that
	// differs from the prediction on listeners no finding names.
	noAnswer = "none"
	failure  = "fail"
)

// fakePilot answers every World with the next of its answers, round and
// round: a config dump file, noAnswer, or failure (a backend error).
type fakePilot struct {
	t       *testing.T
	answers []string
	calls   int
}

func (f *fakePilot) Run(_ context.Context, _ *world.World) (*backend.Result, error) {
	a := f.answers[f.calls%len(f.answers)]
	f.calls++
	switch a {
	case failure:
		return nil, errors.New("pilot backend: exit status 1")
	case noAnswer:
		return &backend.Result{ConfigDump: []byte(`{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.ListenersConfigDump"}]}`)}, nil
	}
	data, err := os.ReadFile(a)
	if err != nil {
		f.t.Fatal(err)
	}
	return &backend.Result{ConfigDump: data}, nil
}

func (f *fakePilot) Close() error { return nil }

func fakeChecker(t *testing.T, reruns int, answers ...string) (*Checker, *fakePilot) {
	t.Helper()
	v, err := versions.Lookup("1.31-dev")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePilot{t: t, answers: answers}
	return &Checker{Version: v, pilot: f, reruns: reruns}, f
}

// TestCheckRerunsDivergences checks how a case is classified from real
// pilot's answers: an agreeing first answer is not run again; a divergence
// runs reruns more times and stands when every answer differs the same
// way; an answer that agrees, or differs otherwise, makes the case
// nondeterministic; a rerun that fails is a backend error.
func TestCheckRerunsDivergences(t *testing.T) {
	tests := []struct {
		name       string
		answers    []string
		want       outcome
		calls      int
		diverging  int
		explained  bool
		errMessage string
	}{
		{name: "agrees", answers: []string{cidrAnswer}, want: outcomeOK, calls: 1},
		{name: "the other order on every run", answers: []string{ipAnswer}, want: outcomeDiverged, calls: 4, diverging: 4, explained: true},
		{name: "the other order now and then", answers: []string{ipAnswer, cidrAnswer, cidrAnswer}, want: outcomeNondeterministic, calls: 4, diverging: 2, explained: true},
		{name: "two different divergences", answers: []string{ipAnswer, noAnswer}, want: outcomeNondeterministic, calls: 4, diverging: 4},
		{name: "no listeners on every run", answers: []string{noAnswer}, want: outcomeDiverged, calls: 4, diverging: 4},
		{name: "a rerun fails", answers: []string{ipAnswer, failure}, want: outcomeError, calls: 2, errMessage: "rerun 1 of a diverging World: pilot backend: exit status 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chk, f := fakeChecker(t, 3, tt.answers...)
			vd := chk.check(context.Background(), scenariogen.Scenario(seedTied))
			if vd.kind != tt.want || f.calls != tt.calls || vd.diverging != tt.diverging {
				t.Fatalf("check = %s after %d runs, %d diverging (%s); want %s after %d, %d diverging", vd.kind, f.calls, vd.diverging, vd.msg, tt.want, tt.calls, tt.diverging)
			}
			if vd.kind == outcomeError && vd.msg != tt.errMessage {
				t.Errorf("error %q, want %q", vd.msg, tt.errMessage)
			}
			if vd.runs > 0 && vd.runs != f.calls {
				t.Errorf("runs = %d, want the %d answers", vd.runs, f.calls)
			}
			if got := notModelled(vd.pred, vd.diffs) != ""; vd.kind != outcomeOK && got != tt.explained {
				t.Errorf("explained by an OrderUndetermined finding: %v, want %v (differences %v)", got, tt.explained, vd.diffs)
			}
		})
	}
}

// TestRunCountsNondeterministicApart checks the summary of a version's run:
// a case real pilot answers differently between runs is listed as
// nondeterministic, counted among the worlds but not among the
// divergences and their levels, and does not fail the run; one that
// diverges the same way on every run does, unless a finding explains it.
func TestRunCountsNondeterministicApart(t *testing.T) {
	tests := []struct {
		name                string
		answers             []string
		divergences, nondet int
		failed              bool
	}{
		{name: "flips", answers: []string{ipAnswer, cidrAnswer}, nondet: 1},
		{name: "flips between divergences no finding names", answers: []string{noAnswer, cidrAnswer}, nondet: 1},
		{name: "the tie's other order on every run, explained", answers: []string{ipAnswer}, divergences: 1},
		{name: "unexplained on every run", answers: []string{noAnswer}, divergences: 1, failed: true},
		{name: "agrees", answers: []string{cidrAnswer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chk, _ := fakeChecker(t, 3, tt.answers...)
			opt := Options{Count: 1, Seed: seedTied, Workers: 1, Reruns: 3}
			r := newVersionRun(opt, chk.Version, time.Time{}, io.Discard, func() *Checker { return chk })
			r.work(context.Background(), 0)
			vs := r.vs
			if vs.Worlds != 1 || len(vs.Divergences) != tt.divergences || len(vs.Nondeterministic) != tt.nondet || vs.Failed() != tt.failed {
				t.Fatalf("%d worlds, %d divergences, %d nondeterministic, failed %v; want 1, %d, %d, %v",
					vs.Worlds, len(vs.Divergences), len(vs.Nondeterministic), vs.Failed(), tt.divergences, tt.nondet, tt.failed)
			}
			levels := 0
			for _, n := range vs.ByLevel {
				levels += n
			}
			if levels != tt.divergences {
				t.Errorf("divergences by level sum to %d, want %d", levels, tt.divergences)
			}
			for _, d := range vs.Nondeterministic {
				if d.Runs != 4 || d.Diverging != 2 {
					t.Errorf("nondeterministic seed %d: %d of %d runs diverged, want 2 of 4 (every other answer)", d.Seed, d.Diverging, d.Runs)
				}
			}
		})
	}
}

// TestShrinkKeepsWhatReproduces checks the shrink predicates: a
// nondeterministic divergence still reproduces while the case shows
// answers with and without it; a steady one while every confirming run
// shows it.
func TestShrinkKeepsWhatReproduces(t *testing.T) {
	const sig = "address/changed"
	tests := []struct {
		name    string
		answers []string
		nondet  bool
		want    bool
		calls   int
	}{
		{name: "flips", answers: []string{ipAnswer, cidrAnswer}, nondet: true, want: true, calls: 2},
		{name: "no longer flips", answers: []string{cidrAnswer}, nondet: true, calls: 4},
		{name: "steady", answers: []string{ipAnswer}, want: true, calls: 1 + shrinkConfirm},
		{name: "steady no more", answers: []string{ipAnswer, cidrAnswer}, calls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chk, f := fakeChecker(t, 3, tt.answers...)
			got := chk.reproduces(context.Background(), scenariogen.Scenario(seedTied), sig, tt.nondet)
			if got != tt.want || f.calls != tt.calls {
				t.Errorf("reproduces = %v after %d runs, want %v after %d", got, f.calls, tt.want, tt.calls)
			}
		})
	}
}

// TestWriteSaysNondeterministic checks that the shrunk file of a
// nondeterministic case says so, also when its last check happened to
// agree, and that a steady one does not.
func TestWriteSaysNondeterministic(t *testing.T) {
	for _, tt := range []struct {
		name    string
		answers []string
		nondet  bool
		want    bool
	}{
		{name: "nondeterministic, last check agreed", answers: []string{cidrAnswer}, nondet: true, want: true},
		{name: "found flipping by the last check", answers: []string{ipAnswer, cidrAnswer}, want: true},
		{name: "steady", answers: []string{ipAnswer}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			chk, _ := fakeChecker(t, 3, tt.answers...)
			file, err := write(t.TempDir(), scenariogen.Scenario(seedTied), chk.Version, compare.Difference{Level: compare.LevelAddress, Listener: "0.0.0.0_5432"}, tt.nondet, chk, context.Background())
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(string(data), "nondeterministic: real pilot answers this World differently between runs"); got != tt.want {
				t.Errorf("file says nondeterministic: %v, want %v:\n%s", got, tt.want, data)
			}
		})
	}
}
