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
	// routeFindingsOnly builds the routes for their findings and leaves
	// them out of the prediction (WithRouteFindingsOnly).
	routeFindingsOnly bool
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

// WithRouteFindingsOnly builds the route configurations for their findings
// and witnesses, and leaves them out of the prediction (Prediction.Routes
// stays empty), for callers that read only listeners and findings: the
// routes hold a virtual host per service, and without them a Shared
// prediction serves the clients of every namespace whose own services'
// short names take no domain of another virtual host.
func WithRouteFindingsOnly() Option {
	return optionFunc(func(o *options) { o.routeFindingsOnly = true })
}
