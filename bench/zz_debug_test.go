package bench

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == WorkerCommand {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		if err := RunWorker(ctx, os.Getenv, os.Stdout); err != nil {
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

func TestRestartReplay(t *testing.T) {
	ctx := context.Background()
	s, err := startStack(ctx, "/work/main")
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	scs, _ := loadScenarios()
	d := &driver{s: s}
	for _, sd := range []side{interpreted, handWritten} {
		r, err := d.start(ctx, scs["linear"], sd, "owner")
		if err != nil {
			t.Fatal(err)
		}
		if err := d.complete(ctx, scs["linear"], &r); err != nil {
			t.Fatal(err)
		}
		if err := s.restartWorker(ctx); err != nil {
			t.Fatal(err)
		}
		if err := d.complete(ctx, scs["linear"], &r); err != nil {
			t.Fatalf("%s after restart: %v", sd, err)
		}
		t.Logf("%s: completed a task after a worker restart; open %v", sd, r.open[0].ID)
	}
}
