package detect

// Config bounds the detector's state. Zero fields take the defaults of
// DefaultConfig.
type Config struct {
	// MaxBindings caps the bindings kept over all servers; the least
	// recently used binding is evicted (counted) to make room.
	MaxBindings int
	// MaxServers caps the servers kept; the least recently used server is
	// evicted with all its bindings (counted).
	MaxServers int
	// MaxBindingsPerInterface caps the bindings kept for one server and
	// interface; more are not kept (counted).
	MaxBindingsPerInterface int
	// MaxInterfacesPerEndpoint caps the interfaces linked to one IP
	// endpoint for traffic matching; more are not linked (counted).
	MaxInterfacesPerEndpoint int
	// MaxAnswer caps the bindings grouped into one endpoint-mapper or OXID
	// answer; a longer answer is judged in parts (counted).
	MaxAnswer int
	// MaxFaultCounters caps the per-server, per-interface fault counters.
	MaxFaultCounters int
	// AnswerIdleNs closes an open answer when an event arrives this much
	// later (capture time) than the answer's last binding.
	AnswerIdleNs int64
}

// DefaultConfig is used for zero Config fields.
var DefaultConfig = Config{
	MaxBindings:              65536,
	MaxServers:               8192,
	MaxBindingsPerInterface:  64,
	MaxInterfacesPerEndpoint: 64,
	MaxAnswer:                1024,
	MaxFaultCounters:         16384,
	AnswerIdleNs:             5e9,
}

func (c Config) withDefaults() Config {
	d := DefaultConfig
	if c.MaxBindings <= 0 {
		c.MaxBindings = d.MaxBindings
	}
	if c.MaxServers <= 0 {
		c.MaxServers = d.MaxServers
	}
	if c.MaxBindingsPerInterface <= 0 {
		c.MaxBindingsPerInterface = d.MaxBindingsPerInterface
	}
	if c.MaxInterfacesPerEndpoint <= 0 {
		c.MaxInterfacesPerEndpoint = d.MaxInterfacesPerEndpoint
	}
	if c.MaxAnswer <= 0 {
		c.MaxAnswer = d.MaxAnswer
	}
	if c.MaxFaultCounters <= 0 {
		c.MaxFaultCounters = d.MaxFaultCounters
	}
	if c.AnswerIdleNs <= 0 {
		c.AnswerIdleNs = d.AnswerIdleNs
	}
	return c
}

// Stats counts what the detector did, including every bound it hit.
type Stats struct {
	Events   uint64 // events consumed
	Findings uint64 // findings emitted
	// ByRule counts findings per rule (index by Rule).
	ByRule [ruleCount]uint64

	Servers   int // servers held now
	Bindings  int // bindings held now
	Endpoints int // IP endpoints held now

	EvictedBindings   uint64 // bindings evicted (LRU) for MaxBindings
	EvictedServers    uint64 // servers evicted (LRU) for MaxServers
	DroppedPerIface   uint64 // bindings not kept for MaxBindingsPerInterface
	DroppedEndpoint   uint64 // bindings not linked for MaxInterfacesPerEndpoint
	AnswerSplits      uint64 // answers judged in parts for MaxAnswer
	FaultCountersFull uint64 // faults not counted for MaxFaultCounters
	StaleRepeats      uint64 // stale-binding signs on a connection already reported
}
