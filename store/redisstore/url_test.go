package redisstore

import "testing"

func TestOneURLForEveryDeployment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url string
		addrs     int
		master    string
		cluster   bool
		db        int
		tls       bool
	}{
		{"a single node", "redis://:pw@cache:6379/2", 1, "", false, 2, false},
		{"a single node over TLS", "rediss://cache:6380", 1, "", false, 0, true},
		{"a Cluster", "redis://n1:6379?addr=n2:6379&addr=n3:6379", 3, "", true, 0, false},
		{"Sentinel", "redis://s1:26379/1?master_name=main&addr=s2:26379", 2, "main", false, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := universalOptions(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if len(o.Addrs) != tt.addrs || o.MasterName != tt.master || o.IsClusterMode != tt.cluster || o.DB != tt.db || (o.TLSConfig != nil) != tt.tls {
				t.Fatalf("got addrs %v, master %q, cluster %v, db %d, tls %v", o.Addrs, o.MasterName, o.IsClusterMode, o.DB, o.TLSConfig != nil)
			}
		})
	}
}
