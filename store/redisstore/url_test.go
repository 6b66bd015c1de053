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
		pw, spw   string // the data nodes' and the Sentinels' passwords
	}{
		{"a single node", "redis://:pw@cache:6379/2", 1, "", false, 2, false, "pw", ""},
		{"a single node over TLS", "rediss://cache:6380", 1, "", false, 0, true, "", ""},
		{"a Cluster", "redis://:pw@n1:6379?addr=n2:6379&addr=n3:6379", 3, "", true, 0, false, "pw", ""},
		{"Sentinel", "redis://s1:26379/1?master_name=main&addr=s2:26379", 2, "main", false, 1, false, "", ""},
		// go-redis reads the user part of a Sentinel URL as the
		// Sentinels' password; the master's is the password parameter.
		{"a node on this host over its unix socket", "unix:///run/redis/redis.sock?db=3&pool_size=20", 1, "", false, 3, false, "", ""},
		{"a unix socket with a password", "unix://:pw@/run/redis/redis.sock", 1, "", false, 0, false, "pw", ""},
		{"Sentinel with passwords", "redis://:spw@s1:26379?master_name=main&addr=s2:26379&addr=s3:26379&password=pw", 3, "main", false, 0, false, "pw", "spw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := universalOptions(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if len(o.Addrs) != tt.addrs || o.MasterName != tt.master || o.IsClusterMode != tt.cluster || o.DB != tt.db || (o.TLSConfig != nil) != tt.tls ||
				o.Password != tt.pw || o.SentinelPassword != tt.spw {
				t.Fatalf("got addrs %v, master %q, cluster %v, db %d, tls %v, password %q, sentinel password %q",
					o.Addrs, o.MasterName, o.IsClusterMode, o.DB, o.TLSConfig != nil, o.Password, o.SentinelPassword)
			}
		})
	}
}

// A socket URL's address is the path itself: go-redis dials a unix socket
// for an address starting with "/".
func TestUnixURLAddressIsThePath(t *testing.T) {
	t.Parallel()
	o, err := universalOptions("unix://user:pw@/run/redis/redis.sock?db=1")
	if err != nil {
		t.Fatal(err)
	}
	if o.Addrs[0] != "/run/redis/redis.sock" || o.Username != "user" || o.Password != "pw" || o.DB != 1 {
		t.Errorf("got addr %q, user %q, password %q, db %d", o.Addrs[0], o.Username, o.Password, o.DB)
	}
}
