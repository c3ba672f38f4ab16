package dev.litecluster.cluster;

/** This node as the others see it: its name in status tables, its node API URL, whether it may become primary. */
public record Member(String node, String url, boolean candidate) {
}
