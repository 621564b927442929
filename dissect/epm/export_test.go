package epm

// DecodeTowerWalk is DecodeTower without the fast path for the common IPv4
// tower: FuzzTower checks that both agree.
func DecodeTowerWalk(octets []byte, t *TowerInfo) error {
	*t = TowerInfo{Octets: octets}
	return t.decodeFloors(octets)
}
