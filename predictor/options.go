package predictor

// Option changes how Predict judges what it builds. No option changes the
// listeners: options only tune when a finding is raised.
type Option interface{ apply(*options) }

type options struct {
	// maxEndpointListeners is how many per-endpoint listeners one headless
	// service port may make before ManyEndpointListeners is raised.
	maxEndpointListeners int
	// noRoutes leaves Prediction.Routes out (WithoutRoutes).
	noRoutes bool
}

func defaultOptions() options { return options{maxEndpointListeners: 100} }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithMaxEndpointListeners raises ManyEndpointListeners when one headless
// service port makes more than n per-endpoint listeners (default 100).
func WithMaxEndpointListeners(n int) Option {
	return optionFunc(func(o *options) { o.maxEndpointListeners = n })
}

// WithoutRoutes leaves the route configurations out of the prediction
// (Prediction.Routes stays empty), for callers that read only listeners
// and findings: routes cost a virtual host per service, and a shared
// prediction can no longer serve clients of several namespaces (their
// virtual hosts name their own namespace's services by short names).
func WithoutRoutes() Option {
	return optionFunc(func(o *options) { o.noRoutes = true })
}
