package dev.litecluster.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NamesTest {

    @Test
    void positionFormatsAndParses() {
        Position p = new Position(0x2a, 0x8000000000000001L);
        assertThat(p.toString()).isEqualTo("000000000000002a/8000000000000001");
        assertThat(Position.parse(p.toString())).isEqualTo(p);
        assertThatThrownBy(() -> Position.parse("2a/1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fileNameFormatsAndParses() {
        assertThat(LtxFileName.format(1, 0xff)).isEqualTo("0000000000000001-00000000000000ff.ltx");
        assertThat(LtxFileName.parse("0000000000000001-00000000000000ff.ltx")).isEqualTo(new LtxFileName(1, 0xff));
        assertThat(LtxFileName.parse("ffffffffffffffff-ffffffffffffffff.ltx").maxTxid()).isEqualTo(-1L);
        assertThatThrownBy(() -> LtxFileName.parse("0000000000000001-00000000000000FF.ltx")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LtxFileName.parse("1-2.ltx")).isInstanceOf(IllegalArgumentException.class);
    }
}
