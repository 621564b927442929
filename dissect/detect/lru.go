package detect

// lruLinks are the intrusive links of an LRU list (most recently used at
// the head); a node type embeds them and returns them from lruNode.links.
type lruLinks[T any] struct{ prev, next *T }

type lruNode[T any] interface {
	*T
	links() *lruLinks[T]
}

// lruList is an intrusive doubly linked list: moving and unlinking are O(1)
// and allocate nothing.
type lruList[T any, P lruNode[T]] struct{ head, tail *T }

// front moves (or inserts) n at the head.
func (l *lruList[T, P]) front(n *T) {
	if l.head == n {
		return
	}
	l.unlink(n)
	P(n).links().next = l.head
	if l.head != nil {
		P(l.head).links().prev = n
	}
	l.head = n
	if l.tail == nil {
		l.tail = n
	}
}

// unlink removes n (a no-op for a node not in the list).
func (l *lruList[T, P]) unlink(n *T) {
	k := P(n).links()
	if k.prev != nil {
		P(k.prev).links().next = k.next
	}
	if k.next != nil {
		P(k.next).links().prev = k.prev
	}
	if l.head == n {
		l.head = k.next
	}
	if l.tail == n {
		l.tail = k.prev
	}
	k.prev, k.next = nil, nil
}
