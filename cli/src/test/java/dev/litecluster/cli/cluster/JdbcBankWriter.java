package dev.litecluster.cli.cluster;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Random;

/** The bank workload's writer through sqlite-jdbc, run as its own process: {@code DB SECONDS SEED}. */
public final class JdbcBankWriter {
    public static void main(String[] args) throws Exception {
        long end = System.nanoTime() + (long) (Double.parseDouble(args[1]) * 1e9);
        Random random = new Random(Long.parseLong(args[2]));
        int transfers = 0;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + args[0]);
             Statement s = c.createStatement();
             PreparedStatement move = c.prepareStatement("UPDATE accounts SET balance = balance + ? WHERE id = ?");
             PreparedStatement log = c.prepareStatement(
                     "INSERT INTO transfers(src, dst, amount, writer) VALUES (?, ?, ?, 'jdbc')")) {
            s.execute("PRAGMA busy_timeout = 60000");
            while (System.nanoTime() < end) {
                int from = 1 + random.nextInt(Bank.ACCOUNTS);
                int to = 1 + (from + random.nextInt(Bank.ACCOUNTS - 1)) % Bank.ACCOUNTS;
                int amount = 1 + random.nextInt(50);
                s.execute("BEGIN IMMEDIATE");
                move.setInt(1, -amount);
                move.setInt(2, from);
                move.executeUpdate();
                move.setInt(1, amount);
                move.setInt(2, to);
                move.executeUpdate();
                log.setInt(1, from);
                log.setInt(2, to);
                log.setInt(3, amount);
                log.executeUpdate();
                s.execute("COMMIT");
                transfers++;
            }
        }
        System.out.println("transfers=" + transfers);
    }
}
