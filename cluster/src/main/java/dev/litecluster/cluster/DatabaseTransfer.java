package dev.litecluster.cluster;

import dev.litecluster.store.sqlite.DatabaseHeader;
import org.eclipse.jetty.http.HttpStatus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Export and import of whole databases through the mount with SQLite's own backup API, so both
 * are consistent while apps keep writing: an export is one read transaction, an import is one
 * write transaction (and so one captured LTX record).
 */
public final class DatabaseTransfer {
    private final Path mountDir;
    private final Path scratchDir;

    public DatabaseTransfer(Path mountDir, Path scratchDir) {
        this.mountDir = mountDir;
        this.scratchDir = scratchDir;
    }

    /** Writes a consistent copy of database {@code name} to a new temporary file and returns it. */
    public Path export(String name) throws IOException, ApiException {
        Path source = database(name);
        if (!Files.exists(source)) {
            throw new ApiException(HttpStatus.NOT_FOUND_404, "no database named '" + name + "'");
        }
        Path copy = Files.createTempFile(scratchDir, "export-", ".db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + source);
             Statement s = c.createStatement()) {
            s.executeUpdate("backup to " + quoted(copy));
            return copy;
        } catch (SQLException e) {
            Files.deleteIfExists(copy);
            throw new IOException("export of " + name + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Replaces database {@code name} with the SQLite file read from {@code body}, after checking it
     * is one (header and {@code PRAGMA integrity_check}); nothing changes when it is not.
     */
    public void importFrom(String name, InputStream body) throws IOException, ApiException {
        Path upload = Files.createTempFile(scratchDir, "import-", ".db");
        try {
            Files.copy(body, upload, StandardCopyOption.REPLACE_EXISTING);
            validate(upload);
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database(name));
                 Statement s = c.createStatement()) {
                s.executeUpdate("restore from " + quoted(upload));
            } catch (SQLException e) {
                throw new ApiException(HttpStatus.CONFLICT_409, "import into '" + name + "' failed: " + e.getMessage());
            }
        } finally {
            Files.deleteIfExists(upload);
        }
    }

    private static void validate(Path upload) throws IOException, ApiException {
        byte[] head = new byte[DatabaseHeader.SIZE];
        try (InputStream in = Files.newInputStream(upload)) {
            if (in.readNBytes(head, 0, head.length) < head.length || !DatabaseHeader.hasMagic(head)) {
                throw new ApiException(HttpStatus.BAD_REQUEST_400, "the uploaded file is not a SQLite database");
            }
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + upload + "?mode=ro");
             ResultSet r = c.createStatement().executeQuery("PRAGMA integrity_check")) {
            String verdict = r.next() ? r.getString(1) : "no result";
            if (!"ok".equals(verdict)) {
                throw new ApiException(HttpStatus.BAD_REQUEST_400, "the uploaded database fails integrity_check: " + verdict);
            }
        } catch (SQLException e) {
            throw new ApiException(HttpStatus.BAD_REQUEST_400, "the uploaded file is not a usable SQLite database: " + e.getMessage());
        }
    }

    private Path database(String name) throws ApiException {
        if (name == null || name.isEmpty() || name.contains("/") || name.startsWith(".")) {
            throw new ApiException(HttpStatus.BAD_REQUEST_400, "a database name is required (?name=DB)");
        }
        return mountDir.resolve(name);
    }

    private static String quoted(Path path) {
        return "'" + path.toString().replace("'", "''") + "'";
    }
}
