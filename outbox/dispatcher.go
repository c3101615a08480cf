package outbox

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/handoffhq/handoff/internal/secrets"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// Config tunes a Dispatcher. Zero values take the documented defaults.
type Config struct {
	// PublicURL is the API's address as people reach it, for the links in task emails.
	PublicURL string
	// SMTP is where emails go; an empty Addr disables email (queued emails are marked
	// dead, with a reason, instead of piling up).
	SMTP SMTPConfig
	// PollInterval is how often the outbox is checked besides the wake-ups on enqueue.
	// Default 1 s.
	PollInterval time.Duration
	// BatchSize is how many deliveries are claimed, and sent concurrently, at a time. Default 16.
	BatchSize int
	// Lease is how long a claimed delivery is held before another dispatcher may take
	// it (this one having died). Default 2 min; it must exceed a delivery's timeout.
	Lease time.Duration
	// MinBackoff is the wait after a first failure, doubling after each one up to
	// MaxBackoff. Defaults 1 s and 10 min.
	MinBackoff, MaxBackoff time.Duration
	// MaxAttempts is how many attempts are made before a delivery is marked dead. Default 15.
	MaxAttempts int
	// InHistory says which ordered inbox writes of a run are in its history (the run's
	// QuerySync; see Confirmed). What a write queued is sent only once it is: a write made
	// in a workflow task that Temporal then discarded never happened. nil sends every
	// delivery when it is due.
	InHistory func(ctx context.Context, runID string) (workflows.SyncLog, error)
}

func (c Config) withDefaults() Config {
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 16
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 10 * time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 15
	}
	return c
}

// Dispatcher delivers the outbox. Start it once; Stop waits for deliveries in flight.
type Dispatcher struct {
	cfg    Config
	db     *postgres.DB
	http   *http.Client
	box    *secrets.Box
	mailer *Mailer
	log    *slog.Logger

	stop context.CancelFunc
	done chan struct{}
}

// New returns a dispatcher over db. client sends webhooks (the SSRF-guarded client);
// box opens subscriptions' signing secrets (nil: webhooks cannot be signed and fail).
func New(cfg Config, db *postgres.DB, client *http.Client, box *secrets.Box, log *slog.Logger) *Dispatcher {
	cfg = cfg.withDefaults()
	return &Dispatcher{cfg: cfg, db: db, http: client, box: box, mailer: NewMailer(cfg.SMTP), log: log}
}

// Start runs the dispatcher until Stop: it drains the outbox whenever something is
// queued (LISTEN/NOTIFY) and at least every PollInterval.
func (d *Dispatcher) Start() {
	if d.mailer == nil {
		d.log.Info("email is disabled: HANDOFF_SMTP_ADDR is not set")
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.stop, d.done = cancel, make(chan struct{})
	wake := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Go(func() { d.listen(ctx, wake) })
	go func() {
		defer close(d.done)
		d.loop(ctx, wake)
		wg.Wait()
	}()
}

// Stop stops the dispatcher and waits for it. Deliveries cut short are retried later.
func (d *Dispatcher) Stop() {
	if d.stop == nil {
		return
	}
	d.stop()
	<-d.done
}

func (d *Dispatcher) loop(ctx context.Context, wake <-chan struct{}) {
	tick := time.NewTicker(d.cfg.PollInterval)
	defer tick.Stop()
	for {
		for ctx.Err() == nil {
			n, err := d.DeliverDue(ctx)
			if err != nil && ctx.Err() == nil {
				d.log.Warn("outbox: claim deliveries", "error", err)
			}
			if err != nil || n < d.cfg.BatchSize {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-wake:
		}
	}
}

// listen turns outbox notifications into wake-ups, reconnecting after a lost connection.
func (d *Dispatcher) listen(ctx context.Context, wake chan<- struct{}) {
	for ctx.Err() == nil {
		err := d.db.ListenOutbox(ctx, func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
		if ctx.Err() != nil {
			return
		}
		d.log.Debug("outbox: listen", "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(d.cfg.PollInterval):
		}
	}
}

// DeliverDue claims one batch of due deliveries, sends them concurrently and records
// each outcome. It returns how many it claimed.
func (d *Dispatcher) DeliverDue(ctx context.Context) (int, error) {
	// The claim is not cut short when ctx ends: a claim abandoned by the client can still
	// run on the server and lease deliveries that nobody then sends until the lease ends.
	// It runs to its end, and what it took is given back if the dispatcher is stopping.
	claimCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), claimTimeout)
	items, err := d.db.ClaimOutbox(claimCtx, d.cfg.BatchSize, d.cfg.Lease)
	cancel()
	if err != nil {
		return 0, err
	}
	if ctx.Err() != nil {
		d.giveBack(items)
		return len(items), ctx.Err()
	}
	var wg sync.WaitGroup
	for _, it := range d.confirmed(ctx, items) {
		wg.Go(func() { d.settle(ctx, it, d.deliver(ctx, it)) })
	}
	wg.Wait()
	return len(items), nil
}

// claimTimeout bounds a claim, which is not cancelled with its caller's context.
const claimTimeout = 10 * time.Second

// giveBack makes claimed deliveries due again at once, without counting the attempt (a
// stopping dispatcher's claim).
func (d *Dispatcher) giveBack(items []postgres.OutboxItem) {
	ctx, cancel := context.WithTimeout(context.Background(), claimTimeout)
	defer cancel()
	for _, it := range items {
		if err := d.db.OutboxHold(ctx, it.ID, 0); err != nil {
			d.log.Warn("outbox: give back a claimed delivery (it is retried when its lease ends)", "id", it.ID, "error", err)
		}
	}
}

// settle records a delivery's outcome: delivered, due again after a backoff, or dead.
func (d *Dispatcher) settle(ctx context.Context, it postgres.OutboxItem, err error) {
	if ctx.Err() != nil {
		return // stopping: the lease runs out and the delivery is retried
	}
	if err == nil {
		if err := d.db.OutboxDelivered(ctx, it.ID); err != nil {
			d.log.Error("outbox: record delivery", "id", it.ID, "error", err)
		}
		return
	}
	dead := Permanent(err) || it.Attempts >= d.cfg.MaxAttempts
	if err := d.db.OutboxFailed(ctx, it.ID, err.Error(), d.backoff(it.Attempts), dead); err != nil {
		d.log.Error("outbox: record failed delivery", "id", it.ID, "error", err)
		return
	}
	if dead {
		d.log.Error("outbox: delivery is dead", "id", it.ID, "kind", it.Kind, "key", it.DedupeKey,
			"attempts", it.Attempts, "error", err)
		return
	}
	d.log.Warn("outbox: delivery failed; will retry", "id", it.ID, "kind", it.Kind,
		"attempts", it.Attempts, "error", err)
}

// backoff is the wait after the attempt-th failure: MinBackoff doubling, capped at MaxBackoff.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	wait := d.cfg.MinBackoff
	for i := 1; i < attempt && wait < d.cfg.MaxBackoff; i++ {
		wait *= 2
	}
	return min(wait, d.cfg.MaxBackoff)
}

func (d *Dispatcher) deliver(ctx context.Context, it postgres.OutboxItem) error {
	switch it.Kind {
	case postgres.OutboxEmail:
		return d.deliverEmail(ctx, it)
	case postgres.OutboxWebhook:
		return d.deliverWebhook(ctx, it)
	}
	return permanentError{errors.New("unknown delivery kind " + it.Kind)}
}
