package dev.litecluster.fuse.passthrough;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The nodes the kernel holds, by nodeid and by (parent, name), with their lookup counts. A name
 * keeps its nodeid while the kernel remembers it, so inode identity seen through the mount is
 * stable; nodeids are never reused (a 64-bit counter), so the generation is always 0.
 */
public final class NodeTable {
    public static final long ROOT = 1;

    private record Key(long parent, String name) {}

    private final Map<Long, Node> byId = new ConcurrentHashMap<>();
    private final Map<Key, Node> byName = new HashMap<>();
    private long nextId = ROOT + 1;

    NodeTable(String rootBacking) {
        Node root = new Node(ROOT, 0, "", rootBacking, 0040000, null);
        root.lookups = 1;
        byId.put(ROOT, root);
    }

    /** The node, or null if the kernel has forgotten it. Lock-free: used on every request. */
    public Node get(long id) {
        return byId.get(id);
    }

    /** The node currently bound to {@code parent/name}, without counting a lookup. */
    public synchronized Node child(long parent, String name) {
        return byName.get(new Key(parent, name));
    }

    /**
     * Returns the node for {@code parent/name} and counts one kernel lookup of it, creating it if
     * needed. A node of a different type (the backing file was replaced) is detached and a new
     * one created, since the kernel must never see a nodeid change type.
     */
    synchronized Node lookup(long parent, String name, String backing, int type, Supplier<byte[]> virtualContent) {
        Key key = new Key(parent, name);
        Node node = byName.get(key);
        if (node != null && (node.type() != type || node.isVirtual() != (virtualContent != null))) {
            node.detach();
            node = null;
        }
        if (node == null) {
            node = new Node(nextId++, parent, name, backing, type, virtualContent);
            byName.put(key, node);
            byId.put(node.id(), node);
        }
        node.lookups++;
        return node;
    }

    /** The kernel dropped {@code count} lookups; the node goes when none are left. */
    synchronized void forget(long id, long count) {
        Node node = byId.get(id);
        if (node == null || id == ROOT) return;
        node.lookups -= count;
        if (node.lookups > 0) return;
        byId.remove(id);
        Key key = new Key(node.parent(), node.name());
        if (byName.get(key) == node) byName.remove(key);
    }

    /** {@code parent/name} was unlinked or removed. */
    synchronized void detach(long parent, String name) {
        Node node = byName.remove(new Key(parent, name));
        if (node != null) node.detach();
    }

    /** {@code parent/name} was renamed to {@code newParent/newName}, replacing whatever was there. */
    synchronized void move(long parent, String name, long newParent, String newName, String newBacking) {
        detach(newParent, newName);
        Node node = byName.remove(new Key(parent, name));
        if (node != null) rebind(node, newParent, newName, newBacking, descendants(node));
    }

    /** RENAME_EXCHANGE: the two names swapped their files. */
    synchronized void exchange(long parent, String name, long newParent, String newName) {
        Node a = byName.remove(new Key(parent, name));
        Node b = byName.remove(new Key(newParent, newName));
        List<Node> aBelow = descendants(a);
        List<Node> bBelow = descendants(b);
        String aBacking = a == null ? null : a.backing();
        if (a != null) rebind(a, newParent, newName, b == null ? null : b.backing(), aBelow);
        if (b != null) rebind(b, parent, name, aBacking, bBelow);
    }

    /** Nodes inside directory {@code dir} (at any depth), whose backing paths move with it. */
    private List<Node> descendants(Node dir) {
        if (dir == null || !dir.isDirectory() || dir.backing() == null) return List.of();
        String prefix = dir.backing() + "/";
        List<Node> below = new ArrayList<>();
        for (Node n : byId.values()) {
            if (n.backing() != null && n.backing().startsWith(prefix)) below.add(n);
        }
        return below;
    }

    private void rebind(Node node, long parent, String name, String backing, List<Node> below) {
        String oldPrefix = node.backing() + "/";
        node.moveTo(parent, name, backing);
        byName.put(new Key(parent, name), node);
        for (Node n : below) n.moveTo(n.parent(), n.name(), backing + "/" + n.backing().substring(oldPrefix.length()));
    }
}
