package predictor

// Option changes how Predict judges what it builds. No option changes the
// listeners: options only tune when a finding is raised.
type Option interface{ apply(*options) }

type options struct {
	// maxEndpointListeners is how many per-endpoint listeners one headless
	// service port may make before ManyEndpointListeners is raised.
	maxEndpointListeners int
}

func defaultOptions() options { return options{maxEndpointListeners: 100} }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithMaxEndpointListeners raises ManyEndpointListeners when one headless
// service port makes more than n per-endpoint listeners (default 100).
func WithMaxEndpointListeners(n int) Option {
	return optionFunc(func(o *options) { o.maxEndpointListeners = n })
}
